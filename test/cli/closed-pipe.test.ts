import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from './support.ts';

/**
 * `edgefaas --help | head -1`: the reader goes away before the CLI writes. The CLI must stop
 * quietly (no EPIPE stack trace on stderr), as other command-line tools do. The read end is closed
 * before the CLI has started, so every write it makes meets a closed pipe.
 */
function runIntoClosedPipe(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('a closed stdout', { timeout: 180_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('pipe');
    // Two nodes where nothing listens: doctor still prints its table of failed checks to stdout.
    await fs.writeFile(
      join(dir, 'cluster.yaml'),
      'name: lab\nnodes:\n  - name: pi-1\n    address: 127.0.0.1\n    port: 1\n    role: manager\n  - name: pi-2\n    address: 127.0.0.2\n    port: 1\n',
    );
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('edgefaas --help | head -1 ends without an EPIPE trace', async () => {
    const r = await runIntoClosedPipe(['--help'], dir);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(r.code).toBe(0);
  });

  it('edgefaas doctor | head -1 ends without an EPIPE trace', async () => {
    const r = await runIntoClosedPipe(['doctor'], dir);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(r.stderr).not.toContain('Unhandled');
  });
});
