import type { ExecOptions, ExecResult, Runner, Step } from './types.ts';
import { StepFailedError } from '../ssh/steps.ts';

/** Runs one planned Step through a runner (a dry-run runner skips it unless readOnly). */
export function execStep(runner: Runner, step: Step, extra: Omit<ExecOptions, 'sudo' | 'stdin' | 'timeoutMs' | 'readOnly'> = {}): Promise<ExecResult> {
  return runner.exec(step.command, {
    ...extra,
    sudo: step.sudo,
    stdin: step.stdin,
    timeoutMs: step.timeoutMs,
    readOnly: step.readOnly,
  });
}

/** What a caller hears about the steps that change something (read-only steps pass silently). */
export interface StepEvents {
  start(title: string): void;
  changed(title: string): void;
}

/** Runs `steps` in order on `node`, stopping at the first non-zero exit; returns each step's stdout. */
export async function execSteps(runner: Runner, node: string, steps: readonly Step[], events: StepEvents): Promise<string[]> {
  const outs: string[] = [];
  for (const step of steps) {
    if (!step.readOnly) events.start(step.title);
    const res = await execStep(runner, step);
    if (res.code !== 0) throw new StepFailedError(node, step, res.code, res.stderr.trim().split('\n').slice(-5).join('\n'));
    if (!step.readOnly) events.changed(step.title);
    outs.push(res.stdout);
  }
  return outs;
}
