import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real terminal for interactive tests: a private tmux server (its own socket), one window
 * running the command, keys sent with send-keys and the screen read with capture-pane.
 */
export class TmuxTerminal {
  private readonly socket: string;
  private constructor(readonly name: string) {
    this.socket = join(tmpdir(), `edgefaas-tmux-${name}-${process.pid}.sock`);
  }

  static start(name: string, command: string, opts: { cwd: string; env: Record<string, string> }): TmuxTerminal {
    const t = new TmuxTerminal(name);
    const env = Object.entries(opts.env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    // env -i: only the given environment (no EDGEFAAS_HOME, agent or colour settings leak in).
    // env -i: only the given environment (no EDGEFAAS_HOME, agent or colour settings leak in).
    // `; sleep` keeps the pane (and its last screen) after the command exits; the exit code is echoed.
    const line = `cd ${shellQuote(opts.cwd)} && env -i ${env} ${command}; echo "[exit $?]"; sleep 600`;
    t.tmux('new-session', '-d', '-s', name, '-x', '220', '-y', '60', line);
    return t;
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }

  /** The visible text and history; with `escapes`, colour and style codes too. */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', '-J', ...(escapes ? ['-e'] : []), '-S', '-300', '-t', this.name);
  }

  /** Waits until the screen matches, or fails showing the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`terminal never showed ${pattern}; screen:\n${text}`);
      await sleep(100);
    }
  }

  /**
   * Waits until the question being asked (the last `? ` line, inquirer's open prompt, below every
   * answered `✔` line) matches, and returns its line number so callers can wait for the next one.
   */
  async waitForPrompt(pattern: RegExp, after = -1, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.screen().split('\n');
      const open = lastIndex(lines, (l) => l.startsWith('? '));
      const done = lastIndex(lines, (l) => l.startsWith('✔ '));
      if (open > done && open > after && pattern.test(lines[open]!)) return open;
      if (Date.now() > deadline) throw new Error(`terminal never asked ${pattern}; screen:\n${lines.join('\n')}`);
      await sleep(100);
    }
  }

  /** The open question's line, or -1 when none is open. */
  openPrompt(): { index: number; text: string } {
    const lines = this.screen().split('\n');
    const open = lastIndex(lines, (l) => l.startsWith('? '));
    const done = lastIndex(lines, (l) => l.startsWith('✔ '));
    return open > done ? { index: open, text: lines[open]! } : { index: -1, text: '' };
  }

  /** Literal text (no key names), then optionally Enter. */
  type(text: string, enter = true): void {
    if (text) this.tmux('send-keys', '-t', this.name, '-l', text);
    if (enter) this.keys('Enter');
  }

  keys(...names: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...names);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(this.socket, { force: true });
  }
}

function lastIndex(lines: string[], pred: (l: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (pred(lines[i]!)) return i;
  return -1;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
