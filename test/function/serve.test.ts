/** `edgefaas serve`: the kit's way to run the function locally, flags over env. */
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, photo, REPO, startFunctionProcess, waitReady, type FunctionProcess } from './support.ts';

let fn: FunctionProcess | undefined;
afterAll(async () => fn?.stop());

it('serves the classifier on the port given, from any directory, and stops on Ctrl-C', async () => {
  const port = await freePort();
  // PORT in the environment is not a port at all: the flag must win over it.
  // Run from another directory, as an installed `edgefaas` would be.
  const bin = join(REPO, 'bin', 'edgefaas.js');
  fn = await startFunctionProcess({ PORT: 'not-a-port' }, [bin, 'serve', '--port', String(port), '--host', '127.0.0.1', '--workers', '1'], port, tmpdir());
  const url = fn.url;
  await waitReady(url);
  const res = await fetch(`${url}/`, { method: 'POST', body: readFileSync(photo('dog.jpg')) });
  expect(((await res.json()) as { predictions: Array<{ label: string }> }).predictions[0]!.label).toBe('malamute');
  await new Promise((r) => setTimeout(r, 200));
  expect(fn.output()).toContain(`serving resnet50 on ${url} (backend`);
  const exited = new Promise<number | null>((r) => fn!.child.once('exit', (code) => r(code)));
  fn.child.kill('SIGINT');
  expect(await exited).toBe(0);
});

it('refuses an unknown model with a clear error and exit code 2', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['bin/edgefaas.js', 'serve', '--model', 'vgg16'], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('MODEL=vgg16 is not served here; choose one of resnet50, catdog');
});
