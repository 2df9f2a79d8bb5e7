import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUp } from '../../kit/lab/index.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

const run = promisify(execFile);

/** Inside a lab host, the CPU quota and memory limit its own cgroup carries (cgroup v1 or v2). */
async function limits(lab: TestLab): Promise<{ quota: string; memory: string }> {
  const out = await onNode(
    lab,
    0,
    'if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; cat /sys/fs/cgroup/memory.max; ' +
      'else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; fi',
  );
  const [quota = '', memory = ''] = out.trim().split('\n');
  return { quota, memory };
}

describe('Pi-sized lab hosts (lab up --cpus --memory)', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await startLab({ name: 'tputlim', subnet: '10.99.64.0/24', nodes: 1, cpus: 0.5, memory: '1g' });
  }, 900_000);
  afterAll(() => lab?.stop());

  it('gives the host half a CPU and 1 GB, seen from inside it', async () => {
    expect(await limits(lab)).toEqual({ quota: '50000 100000', memory: String(1024 ** 3) });
  });

  it('changes the limits of a running host in place on re-run, keeping the host', async () => {
    const before = (await run('docker', ['inspect', lab.info.nodes[0]!.container, '--format', '{{.Id}}'])).stdout;
    const again = await labUp({ name: lab.name, subnet: lab.subnet, nodes: 1, clusterFile: lab.clusterFile, home: lab.home, cpus: 1, memory: '1536m' });
    expect(again.changed).toBe(true);
    expect(await limits(lab)).toEqual({ quota: '100000 100000', memory: String(1536 * 1024 ** 2) });
    expect((await run('docker', ['inspect', lab.info.nodes[0]!.container, '--format', '{{.Id}}'])).stdout).toBe(before);
    const same = await labUp({ name: lab.name, subnet: lab.subnet, nodes: 1, clusterFile: lab.clusterFile, home: lab.home, cpus: 1, memory: '1536m' });
    expect(same.changed).toBe(false);
  });
});
