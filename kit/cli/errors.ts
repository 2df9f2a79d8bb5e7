import { CommanderError } from 'commander';

/** Bad flags or answers: exit code 2, one-line message, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Error names that mean "the input was wrong", whichever module copy threw them. */
const BAD_INPUT = new Set(['UsageError', 'ConfigError', 'SecretError', 'OrchestratorUsageError']);

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export function isBadInput(err: unknown): boolean {
  return err instanceof Error && BAD_INPUT.has(err.name);
}

/** 0 done, 1 failed, 2 bad usage or config. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    return ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code) ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (isBadInput(err)) return EXIT_BAD_INPUT;
  return EXIT_FAILED;
}

/** The text a user sees for an error: the message only, the stack when asked for. */
export function describeError(err: unknown, withStack: boolean): string {
  if (!(err instanceof Error)) return String(err);
  // @inquirer's Ctrl-C: the user stopped answering; every command asks before it changes anything.
  if (err.name === 'ExitPromptError') return 'cancelled; nothing was changed';
  if (withStack && !isBadInput(err) && err.stack) return err.stack;
  return err.message;
}
