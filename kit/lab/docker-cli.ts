import { spawn } from 'node:child_process';

export class DockerCliError extends Error {
  override name = 'DockerCliError';
}

/** Runs the docker CLI (the lab is plumbing on the host's dockerd); stdin carries secrets, never argv. */
export function docker(args: string[], opts: { stdin?: string; allowFail?: boolean; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 600_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new DockerCliError(`cannot run docker: ${e.message}; install docker.io (scripts/setup)`)));
    child.on('close', (code) => {
      const res = { stdout, stderr, code: code ?? -1 };
      if (res.code !== 0 && !opts.allowFail) {
        return reject(new DockerCliError(`docker ${args.slice(0, 2).join(' ')} failed (exit ${res.code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      }
      resolve(res);
    });
    // docker may exit (or never read stdin) before the write lands: that EPIPE is not a failure of
    // the command, whose exit code says how it went.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}
