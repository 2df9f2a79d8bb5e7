import type { Step } from '../plan/types.ts';
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
