/** Starts the classifier as users do (a real process on a real port) and talks to it over HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../kit/registry/serve.ts';

export { freePort };

export const REPO = join(import.meta.dirname, '..', '..');
export const PHOTOS = process.env.EDGEFAAS_PHOTOS ?? join(homedir(), '.cache', 'edgefaas', 'photos');
/** The dogs-vs-cats photos (never committed): beside the checkout in shared/, or where DOGS_VS_CATS says. */
export const DOGS_VS_CATS = process.env.DOGS_VS_CATS ?? join(REPO, '..', 'shared', 'datasets', 'dogs-vs-cats');

export function photo(name: string): string {
  const p = join(PHOTOS, name);
  if (!existsSync(p)) throw new Error(`test photo ${p} is missing: run scripts/setup (it unpacks darknet's photos)`);
  return p;
}

export interface FunctionProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** The first /_/health status seen once the port answered. */
  firstHealth: number;
  stop(): Promise<void>;
}

/** Runs `command` (default: the function under tsx) and waits until the port answers. */
export async function startFunctionProcess(
  env: Record<string, string> = {},
  command: string[] = ['--import', 'tsx', 'function/src/main.ts'],
  port?: number,
  cwd = REPO,
): Promise<FunctionProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, command, {
    cwd,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  let firstHealth = 0;
  for (let i = 0; i < 600 && !firstHealth; i++) {
    if (child.exitCode !== null) throw new Error(`function exited with ${child.exitCode}:\n${log}`);
    firstHealth = await fetch(`${url}/_/health`).then((r) => r.status, () => 0);
    if (!firstHealth) await new Promise((r) => setTimeout(r, 100));
  }
  if (!firstHealth) throw new Error(`function did not listen on ${url}:\n${log}`);
  return {
    url,
    child,
    firstHealth,
    output: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls /_/health until 200 (the model loaded and warmed). */
export async function waitReady(url: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await fetch(`${url}/_/health`).then((r) => r.status, () => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`function at ${url} was not ready after ${timeoutMs} ms`);
}
