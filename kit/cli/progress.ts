import { Listr, ListrLogger, ProcessOutput, type ListrTask } from 'listr2';
import type { NodePlan, Runner } from '../plan/types.ts';
import type { CliContext } from './context.ts';
import { asTyped } from '../plan/dry-run.ts';
import { execStep } from '../plan/exec.ts';

/**
 * The one progress display for long work: phases run in order; inside a phase each node is a row
 * with its steps under it, nodes in parallel unless the phase says otherwise. A failed step stops
 * that node (its later steps are "skipped"), the other nodes finish, and no later phase starts.
 * Not a TTY, or --json: plain lines (listr2 'simple'), on stderr under --json.
 *
 *   const summary = await runProgress(ctx, [
 *     { title: 'docker', work: nodes.map((n) => ({ node: n.name, steps: planSteps(runners[n.name], dockerPlan(n)) })) },
 *     { title: 'swarm init', parallel: false, work: [{ node: manager, steps: [{ title: 'init', run: async () => 'unchanged' }] }] },
 *   ]);
 *   printSummary(ctx, summary);          // "3 changed, 2 already right, 1 failed" + next steps
 *   if (!summary.ok) process.exitCode = 1;
 */

/** What a step did: 'unchanged' when it found things already right. Returning nothing means 'changed'. */
export type StepOutcome = 'changed' | 'unchanged';

export interface StepReport {
  /** A line of live output under the step's row. */
  output(text: string): void;
}

export interface ProgressStep {
  title: string;
  run(report: StepReport): Promise<StepOutcome | void>;
}

export interface NodeWork {
  node: string;
  steps: ProgressStep[];
}

export interface Phase {
  title: string;
  work: NodeWork[];
  /** Nodes of this phase run at the same time (default true). */
  parallel?: boolean;
}

export interface Row {
  phase: string;
  node: string;
  step: string;
}

export interface FailedRow extends Row {
  message: string;
  command?: string;
  exitCode?: number;
  stderrTail?: string;
  /** The command to run next. */
  next: string;
}

export interface ProgressSummary {
  ok: boolean;
  changed: Row[];
  unchanged: Row[];
  failed: FailedRow[];
  skipped: Row[];
}

/** A failed remote command; progress shows the command and the tail of its stderr. */
export class StepFailedError extends Error {
  override name = 'StepFailedError';
  constructor(
    readonly node: string,
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
    readonly next?: string,
  ) {
    super(`exit ${exitCode}`);
  }
}

/** Steps of a NodePlan run through a runner; a non-zero exit fails the step with its command and stderr. */
export function planSteps(runner: Runner, plan: NodePlan): ProgressStep[] {
  return plan.steps.map((step) => ({
    title: step.title,
    run: async (report) => {
      const result = await execStep(runner, step, { onStdout: (c) => report.output(c.trimEnd()) });
      if (result.code !== 0) {
        throw new StepFailedError(plan.node, asTyped(step), result.code, result.stderr);
      }
      return step.readOnly ? 'unchanged' : 'changed';
    },
  }));
}

export interface ProgressOptions {
  /** How many nodes run at once in a parallel phase (cluster.yaml ssh.concurrency). */
  concurrency?: number;
  /** For tests: force plain lines even on a terminal. */
  plain?: boolean;
}

export async function runProgress(ctx: CliContext, phases: Phase[], options: ProgressOptions = {}): Promise<ProgressSummary> {
  const summary: ProgressSummary = { ok: true, changed: [], unchanged: [], failed: [], skipped: [] };
  const plain = options.plain || ctx.opts.json || !ctx.stdout.isTTY;
  const out = (ctx.opts.json ? ctx.stderr : ctx.stdout) as NodeJS.WriteStream;
  const processOutput = new ProcessOutput(out, ctx.stderr as NodeJS.WriteStream);
  const plainOptions = { logger: new ListrLogger({ processOutput, useIcons: ctx.color }) };
  let stopped = false;

  for (const phase of phases) {
    if (stopped) {
      for (const w of phase.work) for (const s of w.steps) summary.skipped.push({ phase: phase.title, node: w.node, step: s.title });
      continue;
    }
    const failuresBefore = summary.failed.length;
    const nodeTasks: ListrTask[] = phase.work.map((w) => ({
      title: w.node,
      task: (_ctx, nodeTask) =>
        nodeTask.newListr(
          w.steps.map((s, i) => ({
            title: s.title,
            task: async (_c, t) => {
              const row = { phase: phase.title, node: w.node, step: s.title };
              try {
                const outcome = (await s.run({ output: (text) => (t.output = text) })) ?? 'changed';
                if (outcome === 'unchanged') {
                  summary.unchanged.push(row);
                  t.title = `${s.title} (already right)`;
                } else summary.changed.push(row);
              } catch (err) {
                const failed = failedRow(row, err);
                summary.failed.push(failed);
                nodeTask.title = `${w.node}: failed at ${s.title}`;
                for (const later of w.steps.slice(i + 1)) summary.skipped.push({ phase: phase.title, node: w.node, step: later.title });
                throw new Error(failureText(failed));
              }
            },
          })),
          { concurrent: false, exitOnError: true },
        ),
    }));
    const list = new Listr(
      [{ title: phase.title, task: (_c, t) => t.newListr(nodeTasks, { concurrent: phase.parallel === false ? false : (options.concurrency ?? true), exitOnError: false }) }],
      {
        renderer: plain ? 'simple' : 'default',
        fallbackRenderer: 'simple',
        fallbackRendererCondition: plain,
        exitOnError: false,
        registerSignalListeners: false,
        rendererOptions: plain ? plainOptions : { collapseErrors: false, collapseSubtasks: false, showErrorMessage: true },
        fallbackRendererOptions: plainOptions,
      } as never,
    );
    await list.run();
    if (summary.failed.length > failuresBefore) stopped = true;
  }
  summary.ok = summary.failed.length === 0;
  return summary;
}

/** Reads the failure of any step error shape: ours, kit/ssh's (step, code, stderrTail), or a plain Error. */
function failedRow(row: Row, err: unknown): FailedRow {
  const e = (err ?? {}) as {
    message?: string;
    command?: unknown;
    exitCode?: unknown;
    code?: unknown;
    stderr?: unknown;
    stderrTail?: unknown;
    next?: unknown;
    step?: { command?: string; sudo?: boolean };
  };
  const command = typeof e.command === 'string' ? e.command : e.step?.command ? asTyped({ command: e.step.command, sudo: e.step.sudo }) : undefined;
  const exitCode = typeof e.exitCode === 'number' ? e.exitCode : typeof e.code === 'number' ? e.code : undefined;
  const stderr = typeof e.stderr === 'string' ? e.stderr : typeof e.stderrTail === 'string' ? e.stderrTail : undefined;
  return {
    ...row,
    // A command failure is summed up by its exit code: the command and stderr are shown under it.
    message: command !== undefined && exitCode !== undefined ? `exit ${exitCode}` : (e.message ?? String(err)),
    command,
    exitCode,
    stderrTail: stderr ? tail(stderr, 5) : undefined,
    next: typeof e.next === 'string' && e.next ? e.next : `edgefaas doctor --node ${row.node}`,
  };
}

function failureText(f: FailedRow): string {
  const lines = [`${f.node}: ${f.step} failed: ${f.message}`];
  if (f.command) lines.push(`  $ ${f.command}`);
  if (f.stderrTail) lines.push(...f.stderrTail.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
}

export function tail(text: string, lines: number): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}

/** "2 changed, 1 already right, 1 failed" then each failure with its command, stderr and next step. */
export function formatSummary(s: ProgressSummary): string[] {
  const head = [`${s.changed.length} changed`, `${s.unchanged.length} already right`, `${s.failed.length} failed`];
  if (s.skipped.length) head.push(`${s.skipped.length} not started`);
  const lines = [head.join(', ')];
  for (const f of s.failed) {
    lines.push(failureText(f));
    lines.push(`  next: ${f.next}`);
  }
  return lines;
}

export function printSummary(ctx: CliContext, s: ProgressSummary): void {
  for (const line of formatSummary(s)) ctx.info(line);
}

/**
 * What domain code reports while its own orchestration runs (swarmUp's chains decide their steps as
 * they go, so the rows cannot be planned ahead as runProgress's phases are).
 */
export interface LiveRows {
  start(node: string, step: string): void;
  done(node: string, step: string, outcome: StepOutcome): void;
  /** The node stopped: its row fails at the step it was on, with the error's command and stderr. */
  fail(node: string, err: unknown): void;
}

/**
 * One listr2 row per node, all shown at once (the body runs them in parallel as it sees fit): the row
 * names the step the node is on, each step is a line under it ("[pi-2] join the swarm" in plain
 * mode), a failure shows its command and stderr tail. Returns the body's value and the summary.
 *
 *   const { value, summary } = await runLive(ctx, ['pi-1', 'pi-2'], (rows) => swarmUp({ ..., progress: rows }));
 *   printSummary(ctx, summary);
 */
export async function runLive<T>(ctx: CliContext, nodes: string[], body: (rows: LiveRows) => Promise<T>, options: Pick<ProgressOptions, 'plain'> & { redact?: (text: string) => string } = {}): Promise<{ value: T; summary: ProgressSummary }> {
  const redact = options.redact ?? ((text: string) => text);
  const summary: ProgressSummary = { ok: true, changed: [], unchanged: [], failed: [], skipped: [] };
  const plain = options.plain || ctx.opts.json || !ctx.stdout.isTTY;
  const out = (ctx.opts.json ? ctx.stderr : ctx.stdout) as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(out, ctx.stderr as NodeJS.WriteStream), useIcons: ctx.color });
  const phase = 'up';
  const rows = new Map(
    nodes.map((node) => {
      let finish!: () => void;
      const finished = new Promise<void>((r) => (finish = r));
      return [node, { finish, finished, current: undefined as string | undefined, changed: 0, right: 0, failed: undefined as FailedRow | undefined, task: undefined as { title: string; output: string } | undefined }];
    }),
  );
  const rowOf = (node: string) => {
    const r = rows.get(node);
    if (!r) throw new Error(`progress: no row for node ${node}`);
    return r;
  };
  const show = (node: string, line: string) => {
    const t = rowOf(node).task;
    if (t) t.output = redact(plain ? `[${node}] ${line}` : line);
  };
  let started!: () => void;
  const allStarted = new Promise<void>((r) => (started = r));
  let count = 0;
  const list = new Listr(
    nodes.map((node) => ({
      title: node,
      task: async (_c: unknown, t: { title: string; output: string }) => {
        const r = rowOf(node);
        r.task = t;
        if (++count === nodes.length) started();
        await r.finished;
        if (r.failed) {
          t.title = `${node}: failed at ${r.failed.step}`;
          throw new Error(redact(failureText(r.failed)));
        }
        t.title = `${node}: ${r.changed ? `${r.changed} changed` : 'no changes'}${r.right ? `, ${r.right} already right` : ''}`;
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: plain ? 'simple' : 'default',
      fallbackRenderer: 'simple',
      fallbackRendererCondition: plain,
      rendererOptions: plain ? { logger } : { collapseErrors: false, showErrorMessage: true },
      fallbackRendererOptions: { logger },
    } as never,
  );
  const running = list.run();
  if (nodes.length) await allStarted;
  const live: LiveRows = {
    start(node, step) {
      const r = rowOf(node);
      r.current = step;
      if (r.task && !plain) r.task.title = `${node}: ${step}`;
      show(node, step);
    },
    done(node, step, outcome) {
      const r = rowOf(node);
      r.current = undefined;
      const row = { phase, node, step };
      if (outcome === 'unchanged') {
        r.right++;
        summary.unchanged.push(row);
        if (!plain) show(node, `${step} (already right)`);
      } else {
        r.changed++;
        summary.changed.push(row);
      }
    },
    fail(node, err) {
      const r = rowOf(node);
      if (r.failed) return;
      r.failed = failedRow({ phase, node, step: r.current ?? (err as { step?: { title?: string } })?.step?.title ?? 'connect' }, err);
      summary.failed.push(r.failed);
    },
  };
  try {
    const value = await body(live);
    return { value, summary };
  } finally {
    for (const r of rows.values()) r.finish();
    await running;
    summary.ok = summary.failed.length === 0;
  }
}
