/**
 * sudo with the password on stdin (`sudo -S`), never in argv. The prompt is a marker we recognise
 * on stderr; a second marker means the password was refused. After authentication the wrapped
 * command prints an "ok" marker, and only then does the caller's own stdin data follow.
 */
export const SUDO_PROMPT = '[edgefaas-sudo-prompt]';
export const SUDO_OK = '[edgefaas-sudo-ok]';

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function wrapSudo(command: string): string {
  return `sudo -S -p ${shellQuote(SUDO_PROMPT)} -- sh -c ${shellQuote(`echo ${shellQuote(SUDO_OK)} >&2\n${command}`)}`;
}

export type SudoFailure = 'no-sudo' | 'not-allowed' | 'wrong-password' | 'needs-password';

/** Why sudo stopped before the command ran, from what it wrote to stderr and its exit code. */
export function classifySudoFailure(stderr: string, code: number, prompts: number, hadPassword: boolean): SudoFailure {
  if (code === 127 || /sudo: (command )?not found|sudo: not found/.test(stderr)) return 'no-sudo';
  if (/not in the sudoers|not allowed to (run|execute)|may not run sudo/i.test(stderr)) return 'not-allowed';
  if (prompts > 0 && !hadPassword) return 'needs-password';
  if (prompts > 1 || /incorrect password|Sorry, try again/i.test(stderr)) return 'wrong-password';
  return 'needs-password';
}
