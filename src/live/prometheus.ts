// The live state in the Prometheus text exposition format (version 0.0.4), for a user's Prometheus to
// scrape during the run (--metrics-listen). Series (every one also carries the run's --label pairs as
// constant labels):
//   loadshape_requests_total{phase,class,status,error_class}   counter: finished requests (status ok|error; error_class "none" when ok)
//   loadshape_output_tokens_total{phase,class}                  counter: output tokens of successful requests
//   loadshape_ttft_seconds / _tpot_seconds / _e2e_seconds{phase,class}  histograms of successful requests
//   loadshape_queue_seconds{phase,class}                        histogram of every request (wait for a slot or the loop)
//   loadshape_in_flight                                         gauge: requests on the wire now
//   loadshape_offered_rps{phase}                                gauge: arrivals offered per second, last 5 s (open-loop phases)
//   loadshape_dispatch_lag_seconds                              gauge: largest pacer lateness in the last second
//   loadshape_run_info{run_id,workload,model,target,version}    gauge, always 1
// Histogram buckets are the fixed ladder of live/ladder.ts (1 ms … 10 min, six per decade).
import { BUCKETS_S } from './ladder.js';
import { ALL, type LiveModel } from './model.js';
import { LIVE_METRICS, type LiveMetric } from './tick.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Every series name the endpoint serves (histograms by their family name); the dashboard test checks queries against it. */
export const SERVED_SERIES = [
  'loadshape_requests_total', 'loadshape_output_tokens_total', 'loadshape_ttft_seconds', 'loadshape_tpot_seconds', 'loadshape_e2e_seconds',
  'loadshape_queue_seconds', 'loadshape_in_flight', 'loadshape_offered_rps', 'loadshape_dispatch_lag_seconds', 'loadshape_run_info',
] as const;

const RESERVED = new Set(['phase', 'class', 'status', 'error_class', 'le', 'quantile', 'run_id', 'workload', 'model', 'target', 'version', 'job', 'instance']);

/** --label pairs as Prometheus label names: invalid characters become `_`; a name the endpoint uses itself gets a `label_` prefix. */
export function constantLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    let name = k.replace(/[^a-zA-Z0-9_]/g, '_');
    if (/^[0-9]/.test(name) || name.startsWith('__')) name = `label_${name.replace(/^_+/, '')}`;
    if (RESERVED.has(name)) name = `label_${name}`;
    out[name] = v;
  }
  return out;
}

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function num(n: number): string {
  if (n === Infinity) return '+Inf';
  if (Number.isNaN(n)) return 'NaN';
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1e9) / 1e9);
}

const LE = BUCKETS_S.map((b) => num(b));

const HELP: Record<LiveMetric, string> = {
  ttft: 'Time to first token of successful requests (send to first generated output).',
  tpot: 'Time per output token after the first, of successful requests.',
  e2e: 'Send to end of response, of successful requests.',
  queue: 'Time a request waited between its intended send and its send (slot or event loop), every request.',
};

/** The exposition text of the model now. `constant` labels go on every series. */
export function exposition(model: LiveModel, constant: Record<string, string>): string {
  const lines: string[] = [];
  const L = (extra: Record<string, string>) => labelText({ ...constant, ...extra });
  const groups = [...model.groups.values()].filter((g) => g.className !== ALL);

  lines.push('# HELP loadshape_run_info The run being measured (always 1).', '# TYPE loadshape_run_info gauge', `loadshape_run_info${L(model.info)} 1`);

  lines.push('# HELP loadshape_requests_total Finished requests by phase, class, status and error class.', '# TYPE loadshape_requests_total counter');
  for (const g of groups) {
    lines.push(`loadshape_requests_total${L({ phase: g.phase, class: g.className, status: 'ok', error_class: 'none' })} ${g.ok}`);
    for (const [ec, n] of [...g.errors].sort()) lines.push(`loadshape_requests_total${L({ phase: g.phase, class: g.className, status: 'error', error_class: ec })} ${n}`);
  }

  lines.push('# HELP loadshape_output_tokens_total Output tokens of successful requests.', '# TYPE loadshape_output_tokens_total counter');
  for (const g of groups) lines.push(`loadshape_output_tokens_total${L({ phase: g.phase, class: g.className })} ${g.outputTokens}`);

  // A scrape writes a few thousand bucket lines: each group's label text is built once, `le` appended.
  const groupLabels = groups.map((g) => L({ phase: g.phase, class: g.className }));
  for (const m of LIVE_METRICS) {
    const name = `loadshape_${m}_seconds`;
    lines.push(`# HELP ${name} ${HELP[m]}`, `# TYPE ${name} histogram`);
    groups.forEach((g, gi) => {
      const base = groupLabels[gi];
      const open = `${name}_bucket${base.slice(0, -1)},le="`;
      let cumulative = 0;
      const slots = g.buckets[m];
      for (let i = 0; i < BUCKETS_S.length; i++) {
        cumulative += slots[i];
        lines.push(`${open}${LE[i]}"} ${cumulative}`);
      }
      cumulative += slots[BUCKETS_S.length];
      lines.push(`${open}+Inf"} ${cumulative}`, `${name}_sum${base} ${num(g.sumsS[m])}`, `${name}_count${base} ${cumulative}`);
    });
  }

  lines.push('# HELP loadshape_in_flight Requests on the wire now.', '# TYPE loadshape_in_flight gauge', `loadshape_in_flight${L({})} ${model.inFlight}`);

  lines.push('# HELP loadshape_offered_rps Arrivals offered per second over the last 5 s (the whole phase once it ended).', '# TYPE loadshape_offered_rps gauge');
  for (const p of model.phases.values()) if (!p.info.load.startsWith('closed')) lines.push(`loadshape_offered_rps${L({ phase: p.info.name })} ${num(model.rates(p.info.name).offeredRps)}`);

  lines.push(
    '# HELP loadshape_dispatch_lag_seconds Largest lateness of the pacer (intended to actual send, with a free slot) in the last second, worst process.',
    '# TYPE loadshape_dispatch_lag_seconds gauge',
    `loadshape_dispatch_lag_seconds${L({})} ${num(model.harness.dispatchLagMaxMs / 1000)}`,
  );
  return `${lines.join('\n')}\n`;
}
