import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type { ExecOptions, ExecResult, Runner } from '../plan/types.ts';
import { CommandTimeoutError, SshError, SudoError } from './errors.ts';
import type { Redactor } from './redact.ts';
import { SUDO_OK, SUDO_PROMPT, classifySudoFailure, shellQuote, wrapSudo } from './sudo.ts';

export interface SshRunnerOptions {
  node: string;
  /** user@host:port, for messages. */
  where: string;
  user: string;
  clients: Client[];
  sudoPassword?: string;
  redactor: Redactor;
  defaultTimeoutMs: number;
  /** Debug log of commands (never stdin); already redacted when called. */
  log?: (line: string) => void;
}

const PID_MARK = '[edgefaas-pid ';

const sudoHelp: Record<string, (o: SshRunnerOptions) => string> = {
  'no-sudo': (o) => `${o.node}: sudo is not installed on ${o.where}; log in as root and run: apt-get install sudo`,
  'not-allowed': (o) => `${o.node}: user ${o.user} may not use sudo on ${o.where}; as root run: usermod -aG sudo ${o.user}`,
  'wrong-password': (o) => `${o.node}: sudo refused the password for ${o.user} on ${o.where} (wrong password); fix sudoPassword in cluster.yaml, then run: edgefaas doctor --node ${o.node}`,
  'needs-password': (o) => `${o.node}: sudo on ${o.where} asks ${o.user} for a password and none is configured; set sudoPassword in cluster.yaml`,
};

/** A Runner over one reused SSH connection (see index.ts). */
export class SshRunner implements Runner {
  readonly node: string;
  private sftpSession?: Promise<SFTPWrapper>;
  private closed = false;

  constructor(private readonly o: SshRunnerOptions) {
    this.node = o.node;
    o.redactor.add(o.sudoPassword);
  }

  private get client(): Client {
    return this.o.clients[this.o.clients.length - 1]!;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) throw new SshError(`${this.node}: connection already closed`, this.node);
    const r = this.o.redactor;
    const useSudo = !!opts.sudo && this.o.user !== 'root';
    // The session's shell first reports its pid (it leads its own process group), so a timed-out
    // command can be killed: sshd does not act on SSH signal requests for commands without a tty.
    const line = `echo "${PID_MARK}$$]" >&2\n${useSudo ? wrapSudo(command) : command}`;
    this.o.log?.(r.redact(`${this.node}$ ${opts.sudo ? 'sudo ' : ''}${command}`));
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? this.o.defaultTimeoutMs;
    const channel = await new Promise<ClientChannel>((resolve, reject) =>
      this.client.exec(line, (err, ch) =>
        err ? reject(new SshError(`${this.node}: cannot start a command on ${this.o.where}: ${err.message}`, this.node, { cause: err })) : resolve(ch),
      ),
    );
    return await new Promise<ExecResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let head = '';
      let pid: number | undefined;
      let preamble = '';
      let authenticated = !useSudo;
      let prompts = 0;
      let settled = false;
      const feedStdin = () => {
        if (opts.stdin !== undefined) channel.write(opts.stdin);
        channel.end();
      };
      const timer = setTimeout(() => {
        settled = true;
        channel.close();
        const err = new CommandTimeoutError(
          `${this.node}: command timed out after ${timeoutMs < 10_000 ? (timeoutMs / 1000).toFixed(1) : Math.round(timeoutMs / 1000)} s on ${this.o.where}: ${r.redact(command)}`,
          this.node,
        );
        const kill = pid
          ? this.exec(`kill -TERM -- -${pid} 2>/dev/null; sleep 0.3; kill -KILL -- -${pid} 2>/dev/null; true`, { sudo: useSudo, timeoutMs: 10_000 }).catch(() => undefined)
          : Promise.resolve();
        void kill.then(() => reject(err));
      }, timeoutMs);
      // Redacted as bytes, before decoding: a secret or a UTF-8 character may span two chunks.
      const outStream = r.stream();
      const errStream = r.stream([SUDO_PROMPT, SUDO_OK]);
      const onOut = (text: string) => {
        if (!text) return;
        stdout += text;
        opts.onStdout?.(text);
      };
      channel.on('data', (d: Buffer) => onOut(outStream.push(d)));
      const onErr = (text: string) => {
        if (!text) return;
        stderr += text;
        opts.onStderr?.(text);
      };
      const onSudoStage = (text: string) => {
        if (authenticated) return onErr(text);
        preamble += text;
        for (;;) {
          const ok = preamble.indexOf(SUDO_OK);
          const p = preamble.indexOf(SUDO_PROMPT);
          if (p >= 0 && (ok < 0 || p < ok)) {
            prompts++;
            preamble = preamble.slice(0, p) + preamble.slice(p + SUDO_PROMPT.length);
            if (prompts === 1 && this.o.sudoPassword !== undefined) channel.write(`${this.o.sudoPassword}\n`);
            else channel.close(); // a second prompt (wrong password) or no password to give
            continue;
          }
          if (ok >= 0) {
            authenticated = true;
            const rest = preamble.slice(ok + SUDO_OK.length).replace(/^\n/, '');
            preamble = preamble.slice(0, ok);
            onErr(rest);
            feedStdin();
          }
          break;
        }
      };
      const onErrText = (text: string) => {
        if (pid !== undefined) return onSudoStage(text);
        head += text;
        const m = /\[edgefaas-pid (\d+)\]\n/.exec(head);
        if (!m) return;
        pid = Number(m[1]);
        onErr(head.slice(0, m.index)); // e.g. a noisy shell rc file
        onSudoStage(head.slice(m.index + m[0].length));
      };
      channel.stderr.on('data', (d: Buffer) => onErrText(errStream.push(d)));
      channel.on('close', (code: number | null) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        onOut(outStream.end());
        onErrText(errStream.end());
        if (!authenticated) {
          const kind = classifySudoFailure(preamble, code ?? -1, prompts, this.o.sudoPassword !== undefined);
          return reject(new SudoError(r.redact(sudoHelp[kind]!(this.o)), this.node));
        }
        resolve({ stdout, stderr, code: code ?? -1, ms: Date.now() - started });
      });
      if (!useSudo) feedStdin();
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) =>
      this.client.sftp((err, s) => (err ? reject(new SshError(`${this.node}: sftp to ${this.o.where} failed: ${err.message}`, this.node)) : resolve(s))),
    );
    return this.sftpSession;
  }

  private async put(data: string | Buffer, remotePath: string, mode: number): Promise<void> {
    const sftp = await this.sftp();
    const buf = typeof data === 'string' ? await readFile(data) : data;
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile(remotePath, buf, { mode }, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve, reject) => sftp.chmod(remotePath, mode, (err) => (err ? reject(err) : resolve())));
  }

  /** Uploads over SFTP; where the user may not write, via a temp file moved into place with sudo. */
  async upload(localPathOrData: string | Buffer, remotePath: string, mode = 0o644): Promise<void> {
    try {
      await this.put(localPathOrData, remotePath, mode);
      return;
    } catch (e) {
      const code = (e as { code?: number }).code;
      if (code !== 3 /* SFTP permission denied */) {
        throw new SshError(`${this.node}: upload to ${remotePath} on ${this.o.where} failed: ${(e as Error).message}`, this.node, { cause: e });
      }
    }
    const tmp = posix.join('/tmp', `.edgefaas-upload-${randomBytes(6).toString('hex')}`);
    await this.put(localPathOrData, tmp, 0o600);
    const octal = mode.toString(8);
    const res = await this.exec(`install -m ${octal} ${shellQuote(tmp)} ${shellQuote(remotePath)}; rc=$?; rm -f ${shellQuote(tmp)}; exit $rc`, { sudo: true });
    if (res.code !== 0) throw new SshError(`${this.node}: cannot place ${remotePath} on ${this.o.where}: ${res.stderr.trim()}`, this.node);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.o.clients].reverse()) c.end();
  }
}
