import type { Runner, Step } from '../plan/types.ts';
import { SshError } from './errors.ts';

export class StepFailedError extends SshError {
  override name = 'StepFailedError';
  constructor(
    node: string,
    readonly step: Step,
    readonly code: number,
    readonly stderrTail: string,
  ) {
    super(`${node}: "${step.title}" failed (exit ${code}): ${stderrTail || '(no output)'}\n  command: ${step.command}`, node);
  }
}

/** Runs a node's steps in order, stopping at the first that exits non-zero. */
export async function runSteps(
  runner: Runner,
  steps: readonly Step[],
  hooks: { onStep?: (step: Step) => void; onOutput?: (chunk: string) => void } = {},
): Promise<void> {
  for (const step of steps) {
    hooks.onStep?.(step);
    const res = await runner.exec(step.command, {
      sudo: step.sudo,
      stdin: step.stdin,
      timeoutMs: step.timeoutMs,
      onStdout: hooks.onOutput,
      onStderr: hooks.onOutput,
    });
    if (res.code !== 0) throw new StepFailedError(runner.node, step, res.code, res.stderr.trim().split('\n').slice(-5).join('\n'));
  }
}
