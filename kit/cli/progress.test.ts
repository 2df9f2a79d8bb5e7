import { describe, expect, it } from 'vitest';
import { formatSummary, planSteps, runLive, runProgress, StepFailedError } from './progress.ts';
import { Writable } from 'node:stream';
import { createContext, type CliContext, type GlobalOptions } from './context.ts';
import type { ExecOptions, Runner } from '../plan/types.ts';

/** A context whose stdout/stderr are captured (not a TTY), for tests of CLI plumbing. */
function captureContext(opts: Partial<GlobalOptions> = {}, env: NodeJS.ProcessEnv = {}): { ctx: CliContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
  const stderr = new Writable({ write: (c, _e, cb) => ((err += c.toString()), cb()) });
  const ctx = createContext({ config: 'cluster.yaml', yes: false, dryRun: false, json: false, verbose: false, ...opts }, { stdout, stderr, env });
  return { ctx, out: () => out, err: () => err };
}

function fakeRunner(node: string, failOn?: string): Runner & { ran: string[] } {
  const ran: string[] = [];
  return {
    node,
    ran,
    async exec(command: string, _opts?: ExecOptions) {
      ran.push(command);
      if (command === failOn) return { stdout: '', stderr: 'reading lists\nE: Unable to locate package docker.io\n', code: 100, ms: 1 };
      return { stdout: 'ok\n', stderr: '', code: 0, ms: 1 };
    },
    async upload() {},
    async close() {},
  };
}

describe('runProgress', () => {
  it('counts changed and already-right steps and prints plain lines when not a terminal', async () => {
    const { ctx, out } = captureContext();
    const summary = await runProgress(ctx, [
      {
        title: 'docker',
        work: ['pi-1', 'pi-2'].map((node) => ({
          node,
          steps: [
            { title: 'docker present?', run: async () => 'unchanged' as const },
            { title: 'configure daemon', run: async () => undefined },
          ],
        })),
      },
    ]);
    expect(summary.ok).toBe(true);
    expect(summary.changed.map((r) => r.node).sort()).toEqual(['pi-1', 'pi-2']);
    expect(summary.unchanged).toHaveLength(2);
    expect(out()).toContain('pi-1');
    expect(out()).toContain('configure daemon');
    expect(out()).not.toMatch(/\x1b\[\?25l/); // no cursor tricks in plain mode
    expect(formatSummary(summary)[0]).toBe('2 changed, 2 already right, 0 failed');
  });

  it('shows a failed node with its command and stderr tail, lets the other node finish, and starts no later phase', async () => {
    const { ctx, out } = captureContext();
    const ok = fakeRunner('pi-1');
    const bad = fakeRunner('pi-2', 'apt-get install -y docker.io');
    const plan = (node: string) => ({
      node,
      steps: [
        { title: 'install docker', command: 'apt-get install -y docker.io', sudo: true },
        { title: 'start docker', command: 'systemctl start docker', sudo: true },
      ],
    });
    let laterPhaseRan = false;
    const summary = await runProgress(ctx, [
      { title: 'docker', work: [ok, bad].map((r) => ({ node: r.node, steps: planSteps(r, plan(r.node)) })) },
      { title: 'swarm', work: [{ node: 'pi-1', steps: [{ title: 'init', run: async () => void (laterPhaseRan = true) }] }] },
    ]);
    expect(summary.ok).toBe(false);
    expect(ok.ran).toEqual(['apt-get install -y docker.io', 'systemctl start docker']);
    expect(bad.ran).toEqual(['apt-get install -y docker.io']);
    expect(laterPhaseRan).toBe(false);
    expect(summary.failed).toEqual([
      expect.objectContaining({ node: 'pi-2', step: 'install docker', command: 'sudo apt-get install -y docker.io', exitCode: 100, next: 'edgefaas doctor --node pi-2' }),
    ]);
    expect(summary.skipped.map((r) => `${r.node}/${r.step}`)).toEqual(['pi-2/start docker', 'pi-1/init']);
    expect(out()).toContain('E: Unable to locate package docker.io');
    const text = formatSummary(summary).join('\n');
    expect(text).toContain('2 changed, 0 already right, 1 failed, 2 not started');
    expect(text).toContain('$ sudo apt-get install -y docker.io');
    expect(text).toContain('next: edgefaas doctor --node pi-2');
  });

  it('keeps stdout clean under --json: progress goes to stderr', async () => {
    const { ctx, out, err } = captureContext({ json: true });
    await runProgress(ctx, [{ title: 'probe', work: [{ node: 'pi-1', steps: [{ title: 'uname', run: async () => 'unchanged' as const }] }] }]);
    expect(out()).toBe('');
    expect(err()).toContain('uname');
  });

  it('takes the next step from the error when it names one', async () => {
    const { ctx } = captureContext();
    const summary = await runProgress(ctx, [
      {
        title: 'join',
        work: [{ node: 'pi-3', steps: [{ title: 'join swarm', run: async () => { throw new StepFailedError('pi-3', 'docker swarm join', 1, 'timeout', 'edgefaas doctor --node pi-3 --ports'); } }] }],
      },
    ]);
    expect(summary.failed[0]?.next).toBe('edgefaas doctor --node pi-3 --ports');
  });

  it('reads the command and stderr from the ssh layer\'s step errors too', async () => {
    const { ctx } = captureContext();
    const sshStyle = Object.assign(new Error('pi-2: "install docker" failed (exit 100): E: no package\n  command: apt-get install -y docker.io'), {
      step: { title: 'install docker', command: 'apt-get install -y docker.io', sudo: true },
      code: 100,
      stderrTail: 'E: no package',
    });
    const summary = await runProgress(ctx, [{ title: 'docker', work: [{ node: 'pi-2', steps: [{ title: 'install docker', run: async () => { throw sshStyle; } }] }] }]);
    expect(summary.failed[0]).toMatchObject({ message: 'exit 100', command: 'sudo apt-get install -y docker.io', exitCode: 100, stderrTail: 'E: no package' });
  });
});

describe('runLive', () => {
  it('shows a row per node with its steps as plain lines, and a failed node with its command, stderr tail and next step', async () => {
    const { ctx, out } = captureContext();
    const failure = Object.assign(new Error('pi-2: "join the swarm as worker" failed (exit 1)'), {
      step: { title: 'join the swarm as worker', command: 'docker swarm join --token-stdin 10.0.0.1:2377', sudo: true },
      code: 1,
      stderrTail: 'Error response from daemon: Timeout was reached',
    });
    const { value, summary } = await runLive(ctx, ['pi-1', 'pi-2'], async (rows) => {
      await Promise.all([
        (async () => {
          rows.start('pi-1', 'install docker.io');
          rows.done('pi-1', 'install docker.io', 'changed');
          rows.done('pi-1', 'node labels', 'unchanged');
        })(),
        (async () => {
          rows.done('pi-2', 'Docker installed, configured and running', 'unchanged');
          rows.start('pi-2', 'join the swarm as worker');
          rows.fail('pi-2', failure);
        })(),
      ]);
      return 42;
    });
    expect(value).toBe(42);
    expect(summary.ok).toBe(false);
    const text = out();
    expect(text).toMatch(/^.*\[pi-1\] install docker\.io$/m);
    expect(text).toMatch(/^.*\[pi-2\] join the swarm as worker$/m);
    expect(text).toContain('pi-1: 1 changed, 1 already right');
    expect(text).toContain('pi-2: join the swarm as worker failed: exit 1');
    expect(text).toContain('$ sudo docker swarm join --token-stdin 10.0.0.1:2377');
    expect(text).toContain('Error response from daemon: Timeout was reached');
    expect(formatSummary(summary)).toEqual([
      '1 changed, 2 already right, 1 failed',
      'pi-2: join the swarm as worker failed: exit 1\n  $ sudo docker swarm join --token-stdin 10.0.0.1:2377\n  Error response from daemon: Timeout was reached',
      '  next: edgefaas doctor --node pi-2',
    ]);
  });

  it('names the step a node could not even start as connect', async () => {
    const { ctx } = captureContext();
    const { summary } = await runLive(ctx, ['pi-4'], async (rows) => rows.fail('pi-4', new Error('pi-4: cannot connect to pi@10.99.2.250:22 (timed out after 5 s)')));
    expect(summary.failed).toEqual([expect.objectContaining({ node: 'pi-4', step: 'connect', message: 'pi-4: cannot connect to pi@10.99.2.250:22 (timed out after 5 s)' })]);
  });
});
