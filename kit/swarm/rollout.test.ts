import { describe, expect, it } from 'vitest';
import type { Runner } from '../plan/types.ts';
import { GatewayNotReadyError, waitForGatewayReady } from './gateway-ready.ts';
import { judgeRollout, parseRolloutProbe, rolloutProbeStep, type Task } from './rollout.ts';

const v1 = { ContainerSpec: { Image: 'gw:1', Env: ['a=1'] } };
const v2 = { ContainerSpec: { Image: 'gw:2', Env: ['a=1'] } };
let clock = 0;
const task = (id: string, spec: object, state: string, desired = 'running', err = ''): Task => ({
  ID: id,
  DesiredState: desired,
  Spec: structuredClone(spec),
  Status: { State: state, Err: err, Timestamp: new Date(1_700_000_000_000 + ++clock * 1000).toISOString() },
});

describe('judgeRollout', () => {
  it('is not ready while only the old task runs, even though it answers', () => {
    const r = judgeRollout({ service: { Spec: { TaskTemplate: v2 }, UpdateStatus: { State: 'updating' } }, tasks: [task('old', v1, 'running')] });
    expect(r.kind).toBe('waiting');
  });

  it('waits for the update to complete once the new task runs', () => {
    const tasks = [task('old', v1, 'shutdown', 'shutdown'), task('new', v2, 'running')];
    expect(judgeRollout({ service: { Spec: { TaskTemplate: v2 }, UpdateStatus: { State: 'updating' } }, tasks }).kind).toBe('waiting');
    expect(judgeRollout({ service: { Spec: { TaskTemplate: v2 }, UpdateStatus: { State: 'completed' } }, tasks })).toEqual({ kind: 'ready', taskId: 'new' });
  });

  it("ignores the defaults docker service inspect inserts, which a task's spec lacks", () => {
    const inspected = { ContainerSpec: { ...v1.ContainerSpec, StopGracePeriod: 10_000_000_000, DNSConfig: {} } };
    expect(judgeRollout({ service: { Spec: { TaskTemplate: inspected } }, tasks: [task('t', v1, 'running')] })).toEqual({ kind: 'ready', taskId: 't' });
    const longer = { ContainerSpec: { ...v1.ContainerSpec, StopGracePeriod: 30_000_000_000 } };
    expect(judgeRollout({ service: { Spec: { TaskTemplate: longer } }, tasks: [task('t', v1, 'running')] }).kind).toBe('waiting');
  });

  it('is ready for a new service (no UpdateStatus) whose task runs the deployed spec', () => {
    expect(judgeRollout({ service: { Spec: { TaskTemplate: v1 } }, tasks: [task('t', v1, 'running')] })).toEqual({ kind: 'ready', taskId: 't' });
  });

  it('calls three failed tasks of the deployed spec a crash loop, naming the newest error', () => {
    const tasks = [task('a', v1, 'failed', 'shutdown', 'task: non-zero exit (1)'), task('b', v1, 'failed', 'shutdown', 'task: non-zero exit (1)'), task('c', v1, 'failed', 'shutdown', 'task: non-zero exit (2)'), task('d', v1, 'starting')];
    const r = judgeRollout({ service: { Spec: { TaskTemplate: v1 } }, tasks });
    expect(r).toEqual({ kind: 'failed', why: 'its task failed 3 times since the deploy; last: task c failed: task: non-zero exit (2)', taskId: 'c' });
    expect(judgeRollout({ service: { Spec: { TaskTemplate: v1 } }, tasks: tasks.slice(1) }).kind).toBe('waiting');
  });

  it('fails on a paused or rolled-back update even though the old task runs again', () => {
    const tasks = [task('old', v1, 'running'), task('new', v2, 'failed', 'shutdown', 'task: non-zero exit (1)')];
    const paused = judgeRollout({ service: { Spec: { TaskTemplate: v2 }, UpdateStatus: { State: 'paused', Message: 'update paused due to failure or early termination of task new' } }, tasks });
    expect(paused).toMatchObject({ kind: 'failed', taskId: 'new' });
    expect(paused.kind === 'failed' && paused.why).toBe('its update is paused (update paused due to failure or early termination of task new); last: task new failed: task: non-zero exit (1)');
    // After a rollback the service's spec is the old one again: the running old task matches it.
    expect(judgeRollout({ service: { Spec: { TaskTemplate: v1, Labels: { h: 'old' } }, UpdateStatus: { State: 'rollback_completed' } }, tasks }, { h: 'new' }).kind).toBe('failed');
  });

  it('accepts a service rolled back onto the deployed spec (a later hand-made change undone)', () => {
    const tasks = [task('t', v1, 'running')];
    expect(judgeRollout({ service: { Spec: { TaskTemplate: v1, Labels: { h: 'mine' } }, UpdateStatus: { State: 'rollback_completed' } }, tasks }, { h: 'mine' })).toEqual({ kind: 'ready', taskId: 't' });
  });
});

describe('the rollout probe', () => {
  it('reads the service and one task per line', () => {
    const out = `${JSON.stringify({ Spec: { TaskTemplate: v1 } })}\n--- edgefaas tasks ---\n${JSON.stringify(task('x', v1, 'running'))}\n${JSON.stringify(task('y', v1, 'failed'))}\n`;
    const p = parseRolloutProbe(out);
    expect(p.tasks.map((t) => t.ID)).toEqual(['x', 'y']);
    expect(rolloutProbeStep('func_gateway')).toMatchObject({ readOnly: true, sudo: true });
    expect(rolloutProbeStep('func_gateway').command).toContain('docker service ps -q --no-trunc func_gateway');
  });
});

/** A manager whose gateway service moves through `states`, one per probe; logs for any task. */
function manager(states: Array<{ service: object; tasks: Task[] }>, logs = ''): Runner & { probes: number } {
  const r = {
    node: 'pi-1',
    probes: 0,
    async exec(command: string) {
      if (command.startsWith('docker service logs')) return { stdout: logs, stderr: '', code: 0, ms: 1 };
      const s = states[Math.min(r.probes++, states.length - 1)]!;
      return { stdout: `${JSON.stringify(s.service)}\n--- edgefaas tasks ---\n${s.tasks.map((t) => JSON.stringify(t)).join('\n')}\n`, stderr: '', code: 0, ms: 1 };
    },
    async upload() {},
    async close() {},
  };
  return r;
}
const answering = (async () => new Response('[]', { status: 200 })) as unknown as typeof fetch;
const opts = { node: 'pi-1', url: 'http://10.0.0.1:8080', password: 'pw', auth: true, fetch: answering, pollMs: 1 };

describe('waitForGatewayReady', () => {
  it('keeps waiting while the old task answers and returns once the new one runs and answers', async () => {
    const old = { service: { Spec: { TaskTemplate: v2 }, UpdateStatus: { State: 'updating' } }, tasks: [task('old', v1, 'running')] };
    const done = { service: { Spec: { TaskTemplate: v2 }, UpdateStatus: { State: 'completed' } }, tasks: [task('new', v2, 'running')] };
    const runner = manager([old, old, old, done]);
    await waitForGatewayReady({ ...opts, runner, timeoutMs: 10_000 });
    expect(runner.probes).toBe(5); // three waits, ready, and the check after the answers
  });

  it("fails a crash loop with the task's error and what it printed", async () => {
    const failing = { service: { Spec: { TaskTemplate: v1 } }, tasks: [1, 2, 3].map((i) => task(`t${i}`, v1, 'failed', 'shutdown', 'task: non-zero exit (1)')) };
    const err = await waitForGatewayReady({ ...opts, runner: manager([failing], 'nats: no servers available for connection\n'), timeoutMs: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayNotReadyError);
    expect(err.message).toBe(
      'the gateway (func_gateway) does not run: its task failed 3 times since the deploy; last: task t3 failed: task: non-zero exit (1); it printed: nats: no servers available for connection; see: docker service ps --no-trunc func_gateway on pi-1',
    );
  });

  it('gives up after the timeout naming what it waited for', async () => {
    const pending = { service: { Spec: { TaskTemplate: v1 } }, tasks: [task('p', v1, 'pending', 'running', 'no suitable node (insufficient resources on 1 node)')] };
    const err = await waitForGatewayReady({ ...opts, runner: manager([pending]), timeoutMs: 20 }).catch((e) => e);
    expect(err.message).toMatch(/^the gateway at http:\/\/10\.0\.0\.1:8080 was not ready after 0 s \(newest: task p pending: no suitable node \(insufficient resources on 1 node\)\); see: docker service ps --no-trunc func_gateway on pi-1, or run: edgefaas status$/);
  });
});
