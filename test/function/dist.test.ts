/** The compiled function (what the multi-arch images run with plain node, no tsx) serves. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { photo, REPO, startFunctionProcess, waitReady, type FunctionProcess } from './support.ts';

let fn: FunctionProcess | undefined;
afterAll(async () => fn?.stop());

it('npm run build:function emits function/dist, and node function/dist/main.js classifies', async () => {
  execFileSync('npm', ['run', '--silent', 'build:function'], { cwd: REPO, stdio: 'pipe' });
  for (const f of ['main.js', 'worker.js', 'preprocess.js', 'model.js']) expect(existsSync(join(REPO, 'function', 'dist', f)), f).toBe(true);
  // No TypeScript left in the emitted imports: plain node must resolve every one.
  expect(readFileSync(join(REPO, 'function', 'dist', 'main.js'), 'utf8')).not.toMatch(/from '\.\/[^']+\.ts'/);
  fn = await startFunctionProcess({}, ['function/dist/main.js']);
  await waitReady(fn.url);
  const res = await fetch(`${fn.url}/`, { method: 'POST', body: readFileSync(photo('dog.jpg')) });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { predictions: Array<{ label: string }> }).predictions[0]!.label).toBe('malamute');
  expect(fn.output()).toMatch(/ready, backend \w+/);
}, 180_000);
