// Campaign plans for the campaign tests: two embedded simulators (two fixed-profile engines of
// different speed) as targets, a tiny workload, short points.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Manifest } from '../../src/campaign/manifest.js';

export const TINY_WORKLOAD = `name: tiny
seed: 7
defaults:
  extra_body: {ignore_eos: true}
classes:
  - name: chat
    prompt_tokens: {type: fixed, value: 32}
    output_tokens: {type: fixed, value: 8}
phases:
  - {name: steady, rate: 1, requests: 1}
`;

export interface PlanParts {
  points?: string[];
  between?: string;
  modelA?: string;
  costPerHour?: number;
}

/** Writes tiny.yaml and plan.yaml into `dir`; returns the plan's path. */
export function writePlan(dir: string, o: PlanParts = {}): string {
  writeFileSync(join(dir, 'tiny.yaml'), TINY_WORKLOAD);
  const cost = o.costPerHour !== undefined ? `\n    cost_per_hour: ${o.costPerHour}` : '';
  const points = o.points ?? ['{rate: 20, duration: 1s}', '{concurrency: 2, requests: 20}'];
  const text = `name: two-sims
targets:
  - name: a
    sim: {profile: fixed, ttft_ms: 20, itl_ms: 5, model: ${o.modelA ?? 'sim-a'}}${cost}
  - name: b
    sim: {profile: fixed, ttft_ms: 30, itl_ms: 5, model: sim-b}${cost}
workloads: [tiny.yaml]
points:
${points.map((p) => `  - ${p}`).join('\n')}
${o.between ? `between: ${JSON.stringify(o.between)}\n` : ''}`;
  const file = join(dir, 'plan.yaml');
  writeFileSync(file, text);
  return file;
}

export function readManifestFile(out: string): Manifest {
  return JSON.parse(readFileSync(join(out, 'campaign.json'), 'utf8')) as Manifest;
}

/** campaign.csv's rows reduced to what does not depend on timing: point, class, phase, load, request count. */
export function csvIdentity(out: string): string[] {
  const rows = parseCsv(readFileSync(join(out, 'campaign.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  return rows.map((r) => [r.campaign_point, r.class, r.phase, r.load, r.requests, r.point_state].join(' | ')).sort();
}
