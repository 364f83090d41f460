// The sweep's answer as text (stdout of `sweep`, and `report` of a sweep's result): the latency–throughput
// curve in load order, the knee, the answer sentence and the per-class breakdown at the answer.
import { fmtMs, fmtNum, fmtPct, describeStepLoad, type SweepAnswer, type SweepAnswerStep } from '../sweep/answer.js';
import { loadValue } from '../sweep/search.js';
import { table } from './text.js';

/** The curve (in load order, baseline and probe first), the knee, the answer and the per-class breakdown. */
export function renderSweepText(a: SweepAnswer): string {
  const out: string[] = [];
  const ordered = [...a.steps].sort((x, y) => {
    const rank = (s: SweepAnswerStep) => (s.role === 'baseline' ? 0 : s.role === 'probe' ? 1 : 2);
    return rank(x) - rank(y) || loadValue(x.load) - loadValue(y.load);
  });
  out.push(`latency–throughput curve (sweep by ${a.by}; ${a.steps.length} steps, each its own phase of the result file)`);
  out.push(
    table(
      ['step', 'load', 'offered rps', 'sent rps', 'completed rps', 'out tok/s', 'TTFT p50', 'TTFT p95', 'TTFT p99', 'TPOT p95', 'errors', 'SLO', 'ended'],
      ordered.map((s) => [
        `${s.phase}${a.knee?.phase === s.phase ? ' ◀ knee' : ''}${a.bestPhase === s.phase ? ' ◀ answer' : ''}`,
        `${s.role === 'baseline' ? 'baseline ' : s.role === 'probe' ? 'probe ' : ''}${describeStepLoad(s.load)}`,
        s.offeredRps === undefined || s.offeredRps === null ? '-' : fmtNum(s.offeredRps),
        s.sentRps === undefined || s.sentRps === null ? '-' : fmtNum(s.sentRps),
        fmtNum(s.achievedRps),
        fmtNum(s.outputTps),
        fmtMs(s.ttftP50Ms),
        fmtMs(s.ttftP95Ms),
        fmtMs(s.ttftP99Ms),
        fmtMs(s.tpotP95Ms),
        fmtPct(s.errorRate),
        s.saturated ? 'FAIL (saturated)' : !s.pass ? 'FAIL' : s.clientSaturated ? 'pass, client saturated' : 'pass',
        s.stop.split(':')[0],
      ]),
    ),
  );
  for (const s of ordered) if (!s.pass && s.failed.length > 0) out.push(`  ${s.phase}: ${s.failed.join('; ')}`);
  for (const s of ordered) if (s.clientWhy) out.push(`  ${s.phase}: not an answer: ${s.clientWhy}`);
  const lagged = ordered.filter((s) => s.clientSaturated);
  if (lagged.length > 0) out.push(`!!! client saturated during ${lagged.map((s) => s.phase).join(', ')}: timing there is contaminated, so none of them can be the answer`);
  out.push('');
  if (a.knee) out.push(`knee: ${a.knee.phase} (${a.by === 'rate' ? `${a.knee.load} rps` : `c=${a.knee.load}`}, completed ${fmtNum(a.knee.achievedRps)} rps): the most throughput per unit of latency`);
  out.push(`answer: ${a.sentence}`);
  if (a.boundedBy.length > 0) out.push(`bounded by: ${a.boundedBy.join('; ')}`);
  if (a.classes.length > 0) {
    out.push('', `per class at ${a.bestPhase}:`);
    out.push(
      table(
        ['class', 'reqs', 'completed rps (whole step)', 'out tok/s', 'TTFT p50', 'TTFT p95', 'TPOT p95', 'errors'],
        a.classes.map((c) => [c.class, String(c.requests), fmtNum(c.achievedRps), fmtNum(c.outputTps), fmtMs(c.ttftP50Ms), fmtMs(c.ttftP95Ms), fmtMs(c.tpotP95Ms), fmtPct(c.errorRate)]),
      ),
    );
  }
  return out.join('\n');
}
