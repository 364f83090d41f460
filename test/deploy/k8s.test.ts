import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ROOT } from '../commands/helpers.js';

const load = (f: string) => parse(readFileSync(`${ROOT}/deploy/k8s/${f}`, 'utf8')) as Record<string, any>;

describe('the Kubernetes manifests', () => {
  it('run N shards as an Indexed Job whose completion index becomes --shard i/N', () => {
    const job = load('job.yaml');
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    const n = job.spec.completions;
    expect(job.spec.parallelism).toBe(n);
    const args = job.spec.template.spec.containers[0].args.join(' ');
    expect(args).toContain(`--shard "\${JOB_COMPLETION_INDEX}/${n}"`);
    expect(args).toContain('--out /results/shards');
  });

  it('start the shards at one instant through a barrier directory new for each Job run', () => {
    const c = load('job.yaml').spec.template.spec.containers[0];
    expect(c.args.join(' ')).toContain('--start-barrier "/results/barrier/${JOB_UID}"');
    const uid = c.env.find((e: { name: string }) => e.name === 'JOB_UID');
    expect(uid.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['batch.kubernetes.io/controller-uid']");
  });

  it('merge the shards from the shared volume', () => {
    const merge = load('merge-job.yaml');
    expect(merge.spec.template.spec.containers[0].args.join(' ')).toContain('loadshape merge /results/shards/*.json --out /results/merged.json');
    expect(load('pvc.yaml').spec.accessModes).toEqual(['ReadWriteMany']);
  });
});
