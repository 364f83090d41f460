import { describe, expect, it } from 'vitest';
import { describePoint, expandPoints, parsePlan } from '../../src/campaign/plan.js';
import { LoadshapeError } from '../../src/util/errors.js';

const GOOD = `name: demo
targets:
  - name: a
    sim: {profile: fixed, ttft_ms: 20}
  - name: b
    url: http://127.0.0.1:8000/v1
    cost_per_hour: 2.5
workloads: [short]
points:
  - {rate: 20, duration: 1s}
  - {concurrency: 2, requests: 10}
`;

function planError(text: string): string {
  try {
    parsePlan(text, 'plan.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(LoadshapeError);
    expect((err as LoadshapeError).code).toBe('workload');
    return (err as Error).message;
  }
  throw new Error('the plan was accepted');
}

describe('parsePlan', () => {
  it('accepts sim and url targets, loads and a between command given as a string', () => {
    const plan = parsePlan(`${GOOD}between: ./switch.sh\n`, 'plan.yaml');
    expect(plan.targets.map((t) => t.name)).toEqual(['a', 'b']);
    expect(plan.repeat).toBe(1);
    expect(plan.between).toEqual({ command: './switch.sh', ready_timeout: '10m' });
    const gated = parsePlan(GOOD.replace('{rate: 20, duration: 1s}', "{rate: 20, duration: 1s, slo: ['ttft.p95 < 300ms']}"), 'plan.yaml');
    expect(gated.points[0]).toMatchObject({ rate: 20, slo: ['ttft.p95 < 300ms'] });
  });

  it('names file:line:col and the field of a bad value', () => {
    const msg = planError(GOOD.replace('cost_per_hour: 2.5', 'cost_per_hour: cheap'));
    expect(msg).toMatch(/^plan\.yaml:7:5: targets\[1\]\.cost_per_hour: expected a number, got "cheap"/);
  });

  it('names the line of an unknown field and of a point without its end', () => {
    const msg = planError(GOOD.replace('  - {concurrency: 2, requests: 10}', '  - {concurrency: 2}\n  - {rate: 3, durration: 5s}'));
    expect(msg).toMatch(/plan\.yaml:11:5: points\[1\]: give requests or duration/);
    expect(msg).toMatch(/plan\.yaml:12:15: points\[2\]\.durration: unknown field "durration"/);
  });

  it('points at the parent when a required field is missing, and refuses duplicate target names', () => {
    expect(planError(GOOD.replace('workloads: [short]\n', ''))).toMatch(/^plan\.yaml:1:1: workloads: missing; expected a list/);
    expect(planError(GOOD.replace('name: b', 'name: a'))).toMatch(/plan\.yaml:5:5: targets\[1\]\.name: target name "a" is used twice/);
  });

  it('gives a YAML syntax error its line', () => {
    expect(planError('name: x\ntargets: [\n')).toMatch(/^plan\.yaml:\d+:\d+: YAML syntax error/);
  });
});

describe('expandPoints', () => {
  it('orders targets, then workloads, then points, with stable ids', () => {
    const ids = expandPoints(parsePlan(GOOD, 'p.yaml')).map((p) => p.id);
    expect(ids).toEqual(['a/short/1-rate-20-1s/r1', 'a/short/2-concurrency-2-10req/r1', 'b/short/1-rate-20-1s/r1', 'b/short/2-concurrency-2-10req/r1']);
  });

  it('balances repeats: even repeats run the targets in reverse order', () => {
    const plan = parsePlan(`${GOOD}repeat: 3\n`, 'p.yaml');
    const order = expandPoints(plan).filter((p) => p.pointIndex === 0).map((p) => `${p.target}${p.repeat}`);
    expect(order).toEqual(['a1', 'b1', 'b2', 'a2', 'a3', 'b3']);
  });

  it('describes sweeps by their search', () => {
    const plan = parsePlan(GOOD.replace("  - {concurrency: 2, requests: 10}\n", "  - sweep: {slo: ['ttft.p95 < 500ms'], by: concurrency}\n"), 'p.yaml');
    expect(describePoint(plan.points[1])).toBe('sweep-concurrency');
  });
});
