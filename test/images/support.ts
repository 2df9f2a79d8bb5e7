import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';

export const run = promisify(execFile);
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const PHOTOS = process.env.EDGEFAAS_PHOTOS || join(homedir(), '.cache', 'edgefaas', 'photos');

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** Starts an image as a user would (docker run -p), waits for /_/health, returns its URL. */
export async function runFunction(image: string, name: string, o: { platform: string; readyMs: number; env?: Record<string, string> }): Promise<string> {
  await docker('rm', '-f', name).catch(() => '');
  const env = Object.entries({ WORKERS: '1', ...(o.env ?? {}) }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await docker('run', '-d', '--name', name, '--platform', o.platform, ...env, '-p', '127.0.0.1::8080', image);
  const port = (await docker('port', name, '8080')).split('\n')[0]!.split(':').pop();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + o.readyMs;
  for (;;) {
    const ok = await fetch(`${url}/_/health`).then((r) => r.ok, () => false);
    if (ok) return url;
    if (Date.now() > deadline) throw new Error(`${name} (${o.platform}) not healthy after ${o.readyMs} ms: ${await docker('logs', '--tail', '20', name).catch(() => '')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** POSTs the photo as curl --data-binary does; under QEMU one answer may take minutes. */
export async function topLabel(url: string, photo: Buffer): Promise<string> {
  const res = await request(url, { method: 'POST', body: photo, headersTimeout: 1_500_000, bodyTimeout: 1_500_000 });
  const body = (await res.body.json()) as { predictions?: Array<{ label: string }>; error?: string };
  if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${JSON.stringify(body)}`);
  return body.predictions![0]!.label;
}

/** The inference engine a running function says it uses (GET /_/info). */
export async function backendOf(url: string): Promise<string> {
  return ((await (await fetch(`${url}/_/info`)).json()) as { backend: string }).backend;
}
