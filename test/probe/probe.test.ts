import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concurrencyVerdict, pickStopWord, runProbe, type ProbeReport, type Verdict } from '../../src/probe/checks.js';
import { createHttp } from '../../src/probe/http.js';
import { observeChat } from '../../src/probe/observe.js';
import { renderProbe } from '../../src/probe/render.js';
import { startSimulator, type SimServer } from '../../src/sim/server.js';
import { startFakeEngine } from './fake-engine.js';
import { closedPort } from '../commands/helpers.js';

const transport = createHttp();
afterAll(() => transport.close());

function verdicts(r: ProbeReport): Record<string, Verdict> {
  return Object.fromEntries(r.checks.map((c) => [c.capability, c.verdict]));
}

describe('probe against a text-only simulator (--no-vision)', () => {
  it('says vision is not supported, with the HTTP 400 as evidence, and charges no image tokens', async () => {
    const textOnly = await startSimulator({ itlMs: 1, ttftMs: 2, maxModelLen: 2048, vision: false, reasoningTokens: 4 });
    try {
      const r = await runProbe({ http: transport.http, baseUrl: textOnly.url });
      const v = r.checks.find((c) => c.capability === 'vision')!;
      expect(v.verdict).toBe('not_supported');
      expect(v.evidence).toMatch(/refused with HTTP 400: .*text-only/);
      expect(r.imageTokens).toBeNull();
      // The same simulator playing a reasoning model: reasoning_content is seen.
      expect(r.checks.find((c) => c.capability === 'reasoning')!.verdict).toBe('supported');
    } finally {
      await textOnly.close();
    }
  }, 30_000);
});

describe('probe against the simulator', () => {
  let sim: SimServer;
  let report: ProbeReport;
  beforeAll(async () => {
    sim = await startSimulator({ itlMs: 2, ttftMs: 5, maxModelLen: 2048 });
    report = await runProbe({ http: transport.http, baseUrl: sim.url });
  }, 30_000);
  afterAll(() => sim.close());

  it('reports every capability as the simulator behaves', () => {
    expect(verdicts(report)).toEqual({
      models: 'supported',
      stream: 'supported',
      usage: 'supported',
      max_tokens: 'supported',
      ignore_eos: 'supported', // the simulator always runs to max_tokens
      stop: 'not_supported', // it does not implement stop sequences
      short_prompt: 'supported',
      long_prompt: 'supported',
      unicode: 'partial', // accepted, but its vocabulary is ASCII
      json_schema: 'supported',
      tool_calls: 'supported',
      reasoning: 'not_supported',
      vision: 'supported',
      concurrency: 'supported',
      error_shape: 'supported',
    });
    expect(report.canStream).toBe(true);
    expect(report.model).toBe('loadshape-sim');
  });

  it('reports the image tokens the server charged: ceil(112/28) × ceil(84/28) = 12 for its one test image', () => {
    expect(report.imageTokens).toBe(12);
    expect(report.checks.find((c) => c.capability === 'vision')!.evidence).toMatch(/one 112×84 PNG \(\d+ bytes\) accepted: prompt_tokens \d+ with it, \d+ without: 12 image tokens charged/);
  });

  it('finds the context limit from /v1/models and records the engine\'s rejection', () => {
    expect(report.context.maxModelLen).toBe(2048);
    expect(report.context.acceptedWords).toBe(Math.floor(2048 * 0.9) - 64);
    expect(report.context.rejectedWords).toBe(2048 + 256);
    expect(report.context.rejection).toMatch(/maximum context length is 2048/);
  });

  it('prints a table with the evidence and the implied run flags', () => {
    const text = renderProbe(report);
    expect(text).toMatch(/^stop\s+not supported\s+stop "\w+" still in the answer/m);
    expect(text).toMatch(/for `loadshape run`:\n(.|\n)*stop: stop sequences are ignored/);
  });
});

describe('probe against engines the simulator cannot imitate', () => {
  it('an engine that reports no usage: output tokens counted from chunks', async () => {
    const e = await startFakeEngine({ usage: false });
    try {
      const r = await runProbe({ http: transport.http, baseUrl: e.url });
      const usage = r.checks.find((c) => c.capability === 'usage')!;
      expect(usage.verdict).toBe('not_supported');
      expect(usage.implies).toMatch(/counted from chunks/);
      expect(verdicts(r).concurrency).toBe('supported');
      expect(verdicts(r).error_shape).toBe('partial'); // FastAPI-style {detail}
      expect(r.context.rejection).toMatch(/over 512/);
    } finally {
      await e.close();
    }
  }, 20_000);

  it('an engine serving one request at a time', async () => {
    const e = await startFakeEngine({ serial: true });
    try {
      const r = await runProbe({ http: transport.http, baseUrl: e.url });
      const c = r.checks.find((x) => x.capability === 'concurrency')!;
      expect(c.verdict).toBe('not_supported');
      expect(c.implies).toMatch(/--concurrency 1/);
      expect(verdicts(r).usage).toBe('supported');
    } finally {
      await e.close();
    }
  }, 20_000);

  it('an endpoint that cannot stream: canStream false, the rest skipped', async () => {
    const e = await startFakeEngine({ noStream: true });
    try {
      const r = await runProbe({ http: transport.http, baseUrl: e.url });
      expect(r.canStream).toBe(false);
      expect(verdicts(r).stream).toBe('not_supported');
      expect(verdicts(r).usage).toBe('skipped');
    } finally {
      await e.close();
    }
  }, 20_000);

  it('an unreachable target cannot stream', async () => {
    // A port just closed, not a fixed one: another process on the machine may listen on any fixed port.
    const r = await runProbe({ http: transport.http, baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, timeoutMs: 2000 });
    expect(r.canStream).toBe(false);
    expect(verdicts(r).models).toBe('not_supported');
  });
});

describe('probe pure parts', () => {
  it('picks a stop word from the middle of an answer, or none from a short one', () => {
    expect(pickStopWord('one two three four five six')).toBe('four');
    expect(pickStopWord('hi there')).toBeNull();
  });

  it('concurrency: overlap of the second request with the first', () => {
    const obs = (firstOutputAtMs: number, endAtMs: number) => ({ ...observeChat({ kind: 'error', code: 'x', message: '', sentAtMs: 0 }), error: null, firstOutputAtMs, endAtMs });
    expect(concurrencyVerdict(obs(10, 100), obs(12, 110)).verdict).toBe('supported');
    const serial = concurrencyVerdict(obs(10, 100), obs(150, 240));
    expect(serial.verdict).toBe('not_supported');
    expect(serial.evidence).toMatch(/50\.0 ms after the first ended/);
  });
});
