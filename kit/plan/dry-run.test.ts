import { describe, expect, it } from 'vitest';
import { dryRun, formatPlan } from './dry-run.ts';
import { execStep } from './exec.ts';
import type { ExecOptions, Runner } from './types.ts';

function recordingRunner(node: string): Runner & { calls: string[] } {
  const calls: string[] = [];
  return {
    node,
    calls,
    async exec(command: string, _opts?: ExecOptions) {
      calls.push(command);
      return { stdout: 'aarch64\n', stderr: '', code: 0, ms: 1 };
    },
    async upload(_d, remote) {
      calls.push(`upload ${remote}`);
    },
    async close() {},
  };
}

describe('dryRun runner', () => {
  it('runs read-only probes and only prints everything else, secrets redacted', async () => {
    const real = recordingRunner('pi-1');
    const printed: string[] = [];
    const runner = dryRun(real, (l) => printed.push(l));
    const probe = await execStep(runner, { title: 'arch', command: 'uname -m', readOnly: true });
    expect(probe.stdout).toBe('aarch64\n');
    const join = await execStep(runner, { title: 'join', command: 'docker swarm join --token-stdin 10.0.0.11:2377', sudo: true, stdin: 'SWMTKN-1-secret' });
    expect(join.code).toBe(0);
    await runner.upload(Buffer.from('{}'), '/etc/docker/daemon.json', 0o644);
    expect(real.calls).toEqual(['uname -m']);
    expect(printed).toEqual([
      '[pi-1] $ sudo docker swarm join --token-stdin 10.0.0.11:2377 <secret on stdin>',
      '[pi-1] upload <2 bytes> -> /etc/docker/daemon.json (mode 0644)',
    ]);
    expect(printed.join('\n')).not.toContain('SWMTKN');
  });

  it('refuses a probe when there is no connection, rather than pretending', async () => {
    const runner = dryRun(undefined, () => {}, 'pi-2');
    await expect(runner.exec('uname -m', { readOnly: true })).rejects.toThrow(/no connection to pi-2/);
  });

  it('formats a whole plan per node', () => {
    expect(
      formatPlan([
        { node: 'pi-1', steps: [{ title: 'arch', command: 'uname -m', readOnly: true }, { title: 'init', command: 'docker swarm init', sudo: true }] },
        { node: 'pi-2', steps: [{ title: 'join', command: 'docker swarm join --token-stdin pi-1:2377', sudo: true, stdin: 't' }] },
      ]),
    ).toEqual([
      '[pi-1] $ uname -m   # probe, read-only',
      '[pi-1] $ sudo docker swarm init',
      '[pi-2] $ sudo docker swarm join --token-stdin pi-1:2377 <secret on stdin>',
    ]);
  });

  it('shows a compound sudo line as the one root shell it runs in', () => {
    expect(formatPlan([{ node: 'pi-1', steps: [{ title: 'stack', command: "cd /var/lib/edgefaas && docker stack deploy -c 'a b.yml' func", sudo: true }] }])).toEqual([
      `[pi-1] $ sudo sh -c 'cd /var/lib/edgefaas && docker stack deploy -c '\\''a b.yml'\\'' func'`,
    ]);
  });
});
