// The tree's shape, checked on every test run: folders of src/ import each other one way only (runtime
// imports; `import type` is free), and no function grows past 120 lines. The few functions already
// longer are listed with their length today: they may shrink, never grow, and no new one may join them.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const MAX_LINES = 120;
/** Longer than MAX_LINES when this check was added: the ceiling each may not pass. */
const LONG_TODAY: Record<string, number> = {
  'probe/checks.ts:runProbe': 203,
  'sim/server.ts:startSimulator': 259,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
}

const folderOf = (file: string) => relative(SRC, file).split(sep)[0].replace(/\.ts$/, '');

interface Scan {
  edges: Map<string, Map<string, string>>;
  long: { name: string; lines: number }[];
}

function scan(): Scan {
  const edges = new Map<string, Map<string, string>>();
  const long: Scan['long'] = [];
  for (const file of sourceFiles(SRC)) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const st of sf.statements) {
      if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      if (ts.isImportDeclaration(st) ? st.importClause?.isTypeOnly : st.isTypeOnly) continue;
      const bindings = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
      if (ts.isImportDeclaration(st) && bindings && ts.isNamedImports(bindings) && !st.importClause?.name && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)) continue;
      const spec = st.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, `${relative(SRC, file)} imports ${spec}`);
    }
    const visit = (n: ts.Node, owner: string) => {
      const named = (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) && n.name ? n.name.getText(sf) : null;
      const isFn = ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n);
      const name = named ?? (isFn && ts.isVariableDeclaration(n.parent) ? n.parent.name.getText(sf) : owner);
      if (isFn && n.body) {
        const lines = sf.getLineAndCharacterOfPosition(n.end).line - sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
        if (lines > MAX_LINES) long.push({ name: `${relative(SRC, file).split(sep).join('/')}:${name}`, lines });
      }
      ts.forEachChild(n, (c) => visit(c, name));
    };
    visit(sf, '(module)');
  }
  return { edges, long };
}

/** Every cycle's folders, with one import line per edge inside it (Tarjan's strongly connected components). */
function cycles(edges: Scan['edges']): string[] {
  let index = 0;
  const ix = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[] = [];
  const connect = (v: string) => {
    ix.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!ix.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, ix.get(w)!));
    }
    if (low.get(v) !== ix.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      on.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) found.push(`${scc.sort().join(' ⇄ ')}: ${scc.flatMap((a) => scc.filter((b) => edges.get(a)?.has(b)).map((b) => edges.get(a)!.get(b))).join('; ')}`);
  };
  for (const v of edges.keys()) if (!ix.has(v)) connect(v);
  return found;
}

describe('the shape of src/', () => {
  const { edges, long } = scan();

  it('has no import cycle between folders', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('keeps the simulator an island the core never imports', () => {
    const intoSim = [...edges].filter(([from, to]) => from !== 'commands' && to.has('sim')).map(([from]) => from);
    expect(intoSim).toEqual([]);
  });

  it('grows no function past 120 lines (the ones already longer only shrink)', () => {
    const over = long.filter((f) => !(f.name in LONG_TODAY) || f.lines > LONG_TODAY[f.name]);
    expect(over).toEqual([]);
  });

  it('finds what it checks: a cycle and a long function are reported', () => {
    const e: Scan['edges'] = new Map([
      ['a', new Map([['b', 'a/x.ts imports ../b/y.js']])],
      ['b', new Map([['a', 'b/y.ts imports ../a/x.js']])],
    ]);
    expect(cycles(e)).toEqual(['a ⇄ b: a/x.ts imports ../b/y.js; b/y.ts imports ../a/x.js']);
    expect(long.every((f) => f.lines > MAX_LINES)).toBe(true);
  });
});
