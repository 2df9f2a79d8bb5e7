import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../kit/inventory/load.ts';
import { K3S_TOKEN_FILE } from '../../kit/k3s/version.ts';
import { writeFileStep } from '../../kit/k3s/steps.ts';
import { SshPool, poolOptionsFromCluster } from '../../kit/ssh/index.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

/**
 * The join token reaches an agent the way `up` hands it on: the step up runs, over the kit's SSH
 * layer with sudo, while every process's argv on the node is recorded. The token must be in the
 * 0600 file and in no command line.
 */
describe('the k3s join token on a lab host (lab k3stok)', { timeout: 300_000 }, () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await startLab({ name: 'k3stok', subnet: '10.99.72.0/24', nodes: 1 });
  });
  afterAll(() => lab?.stop());

  it('is written to a 0600 file through stdin and appears in no process\'s argv', async () => {
    const token = `K10${randomBytes(24).toString('hex')}::server:${randomBytes(16).toString('hex')}`;
    const spec = await loadCluster(lab.clusterFile);
    const pool = new SshPool(poolOptionsFromCluster(spec, { env: lab.env }));
    // Every process's argv, read over and over while the step runs (root, test inspection only).
    await onNode(lab, 0, "nohup sh -c 'while [ ! -e /tmp/stop-watch ]; do for f in /proc/[0-9]*/cmdline; do tr \"\\\\0\" \" \" <$f 2>/dev/null; echo; done; done' >/tmp/argv.log 2>/dev/null &");
    try {
      const runner = await pool.runner(spec.nodes[0]!);
      const step = writeFileStep('write the join token', K3S_TOKEN_FILE, `${token}\n`, 0o600);
      // Long enough for the watcher to see the command: the token is read from stdin, slowly.
      const res = await runner.exec(`sleep 2; ${step.command}`, { sudo: true, stdin: step.stdin });
      expect(res.code, res.stderr).toBe(0);
    } finally {
      await onNode(lab, 0, 'touch /tmp/stop-watch; sleep 1');
      await pool.closeAll();
    }
    const argv = await onNode(lab, 0, 'cat /tmp/argv.log');
    expect(argv).toContain(`cat > '${K3S_TOKEN_FILE}.edgefaas-tmp'`);
    expect(argv).not.toContain(token.slice(3, 30));
    expect(await onNode(lab, 0, `stat -c '%a %U' ${K3S_TOKEN_FILE}; cat ${K3S_TOKEN_FILE}`)).toBe(`600 root\n${token}\n`);
  });
});
