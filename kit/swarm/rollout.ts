import { isDeepStrictEqual } from 'node:util';
import type { Step } from '../plan/types.ts';
import { shq } from '../docker/shell.ts';

/**
 * Whether a Swarm service runs what was last deployed. `docker stack deploy` returns before the
 * rolling update, so the old task may still answer; this reads the service's UpdateStatus and its
 * tasks (the running one's spec against the deployed one) instead.
 */
const TASKS_MARK = '--- edgefaas tasks ---';

/** Read-only: the service as JSON, then one JSON line per task (docker service ps -q --no-trunc). */
export function rolloutProbeStep(service: string): Step {
  const s = shq(service);
  return {
    title: `read the rollout of ${service}`,
    command:
      `docker service inspect ${s} --format '{{json .}}' && echo ${shq(TASKS_MARK)} && ` +
      `ids=$(docker service ps -q --no-trunc ${s}) && if [ -n "$ids" ]; then docker inspect --type task --format '{{json .}}' $ids; fi`,
    sudo: true,
    readOnly: true,
    timeoutMs: 60_000,
  };
}

/** Read-only: a task's last log lines (what a crashing process printed before it exited). */
export function taskLogsStep(taskId: string): Step {
  return {
    title: `read the last log lines of task ${taskId.slice(0, 12)}`,
    command: `docker service logs --raw --no-trunc --tail 5 ${shq(taskId)} 2>&1`,
    sudo: true,
    readOnly: true,
    timeoutMs: 30_000,
  };
}

export interface Task {
  ID: string;
  CreatedAt?: string;
  DesiredState?: string;
  Spec?: { ContainerSpec?: unknown; ForceUpdate?: number };
  Status?: { State?: string; Err?: string; Message?: string; Timestamp?: string; ContainerStatus?: { ExitCode?: number } };
}

export interface ServiceRollout {
  service: { Spec?: { TaskTemplate?: Task['Spec']; Labels?: Record<string, string> }; UpdateStatus?: { State?: string; Message?: string } };
  tasks: Task[];
}

export function parseRolloutProbe(stdout: string): ServiceRollout {
  const [svc = '', tasks = ''] = stdout.split(TASKS_MARK);
  const lines = (t: string) => t.split('\n').map((l) => l.trim()).filter(Boolean);
  const service = JSON.parse(lines(svc)[0] ?? 'null');
  if (!service) throw new Error('docker service inspect printed nothing');
  return { service, tasks: lines(tasks).map((l) => JSON.parse(l) as Task) };
}

export type RolloutVerdict =
  | { kind: 'ready'; taskId: string }
  | { kind: 'waiting'; why: string; taskId?: string }
  | { kind: 'failed'; why: string; taskId?: string };

/** Tasks that failed this many times on the deployed spec, with none running, are a crash loop. */
export const CRASH_LOOP_FAILURES = 3;
const FAILED_STATES = ['failed', 'rejected'];
const FAILED_UPDATE = ['paused', 'rollback_started', 'rollback_paused', 'rollback_completed'];

const newestFirst = (a: Task, b: Task) => String(b.Status?.Timestamp ?? b.CreatedAt ?? '').localeCompare(String(a.Status?.Timestamp ?? a.CreatedAt ?? ''));

/** What a task last said: Docker's error for it, with its exit code and state. */
export function taskError(t: Task | undefined): string {
  if (!t) return 'no task';
  const err = t.Status?.Err || t.Status?.Message || '';
  return `task ${t.ID.slice(0, 12)} ${t.Status?.State ?? '?'}${err ? `: ${err}` : ''}`;
}

/**
 * `expectLabels`: labels the deployed spec carries (the stack hash). A rollback that left the
 * service on them (someone rolled a later change back) is no failure of this deploy.
 */
/**
 * `docker service inspect` fills in swarmkit's defaults (the CLI asks with insertDefaults) while a
 * task's spec is stored as given: compare container specs without those defaults.
 */
const CONTAINER_DEFAULTS: Record<string, unknown> = { StopGracePeriod: 10_000_000_000, DNSConfig: {}, Isolation: 'default' };
function withoutDefaults(cs: unknown): unknown {
  if (!cs || typeof cs !== 'object') return cs;
  const out: Record<string, unknown> = { ...(cs as Record<string, unknown>) };
  for (const [k, v] of Object.entries(CONTAINER_DEFAULTS)) if (isDeepStrictEqual(out[k], v)) delete out[k];
  return out;
}

export function judgeRollout(r: ServiceRollout, expectLabels: Record<string, string> = {}): RolloutVerdict {
  const deployed = r.service.Spec?.TaskTemplate;
  const current = (t: Task) =>
    isDeepStrictEqual(withoutDefaults(t.Spec?.ContainerSpec), withoutDefaults(deployed?.ContainerSpec)) && (t.Spec?.ForceUpdate ?? 0) === (deployed?.ForceUpdate ?? 0);
  const mine = r.tasks.filter(current).sort(newestFirst);
  const lastFailed = mine.find((t) => FAILED_STATES.includes(t.Status?.State ?? ''));
  const update = r.service.UpdateStatus;
  const onDeployed = Object.keys(expectLabels).length > 0 && Object.entries(expectLabels).every(([k, v]) => r.service.Spec?.Labels?.[k] === v);
  const rolledBackToDeployed = update?.State?.startsWith('rollback_') && update.State !== 'rollback_started' && onDeployed;
  if (update?.State && FAILED_UPDATE.includes(update.State) && !rolledBackToDeployed) {
    return { kind: 'failed', why: `its update is ${update.State.replace('_', ' ')}${update.Message ? ` (${update.Message})` : ''}; last: ${taskError(lastFailed ?? r.tasks.sort(newestFirst)[0])}`, taskId: lastFailed?.ID };
  }
  const running = mine.find((t) => t.DesiredState === 'running' && t.Status?.State === 'running');
  const failures = mine.filter((t) => FAILED_STATES.includes(t.Status?.State ?? '')).length;
  if (running && (!update?.State || update.State === 'completed' || rolledBackToDeployed)) return { kind: 'ready', taskId: running.ID };
  if (!running && failures >= CRASH_LOOP_FAILURES) {
    return { kind: 'failed', why: `its task failed ${failures} times since the deploy; last: ${taskError(lastFailed)}`, taskId: lastFailed?.ID };
  }
  if (update?.State === 'updating') return { kind: 'waiting', why: `update in progress; newest: ${taskError(mine[0])}`, taskId: mine[0]?.ID };
  return { kind: 'waiting', why: mine.length ? `newest: ${taskError(mine[0])}` : 'no task runs the deployed spec yet', taskId: mine[0]?.ID };
}
