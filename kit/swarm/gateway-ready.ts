import type { Runner } from '../plan/types.ts';
import { execStep } from '../plan/exec.ts';
import { STACK_NAME } from '../openfaas/swarm-stack.ts';
import { gatewayAnswers, readinessClient } from '../openfaas/wait.ts';
import { judgeRollout, parseRolloutProbe, rolloutProbeStep, taskLogsStep, type RolloutVerdict } from './rollout.ts';

export const GATEWAY_SERVICE = `${STACK_NAME}_gateway`;

export class GatewayNotReadyError extends Error {
  override name = 'GatewayNotReadyError';
}

export interface GatewayReadyOptions {
  /** The manager the gateway service is read on. */
  runner: Runner;
  node: string;
  url: string;
  password: string;
  auth: boolean;
  timeoutMs: number;
  /** Labels the deployed gateway spec carries (the stack hash label). */
  expectLabels?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
  pollMs?: number;
}

/**
 * Up is done when the gateway service's update is complete (its running task has the deployed
 * spec) and that task answers /healthz and an authenticated /system/functions; the task is read
 * again after the answers, so an old task still answering does not count. A crash loop or a paused
 * or rolled-back update fails at once, naming the task's error and its last log lines.
 */
export async function waitForGatewayReady(o: GatewayReadyOptions): Promise<void> {
  const client = readinessClient(o.url, o.password, o);
  const deadline = Date.now() + o.timeoutMs;
  const see = `see: docker service ps --no-trunc ${GATEWAY_SERVICE} on ${o.node}`;
  let last = '';
  for (;;) {
    const verdict = await readRollout(o.runner, o.expectLabels);
    if (verdict.kind === 'failed') {
      const logs = verdict.taskId ? await lastLogLines(o.runner, verdict.taskId) : '';
      throw new GatewayNotReadyError(`the gateway (${GATEWAY_SERVICE}) does not run: ${verdict.why}${logs ? `; it printed: ${logs}` : ''}; ${see}`);
    }
    if (verdict.kind === 'ready') {
      last = await gatewayAnswers(client);
      if (!last) {
        const again = await readRollout(o.runner, o.expectLabels);
        if (again.kind === 'ready' && again.taskId === verdict.taskId) return;
        last = `task ${verdict.taskId.slice(0, 12)} answered, then ${again.kind === 'ready' ? 'another task took over' : again.why}`;
      }
    } else last = verdict.why;
    if (Date.now() > deadline) {
      throw new GatewayNotReadyError(`the gateway at ${o.url} was not ready after ${Math.round(o.timeoutMs / 1000)} s (${last}); ${see}, or run: edgefaas status`);
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
  }
}

async function readRollout(runner: Runner, expectLabels?: Record<string, string>): Promise<RolloutVerdict> {
  const res = await execStep(runner, rolloutProbeStep(GATEWAY_SERVICE));
  if (res.code !== 0) return { kind: 'waiting', why: `docker service inspect ${GATEWAY_SERVICE} failed: ${res.stderr.trim().split('\n').pop() ?? ''}` };
  return judgeRollout(parseRolloutProbe(res.stdout), expectLabels);
}

async function lastLogLines(runner: Runner, taskId: string): Promise<string> {
  const res = await execStep(runner, taskLogsStep(taskId)).catch(() => undefined);
  if (!res || res.code !== 0) return '';
  return res.stdout.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
}
