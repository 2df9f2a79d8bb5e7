/** Timeouts by of-watchdog env names (exec_timeout 504, read_timeout 408) and a dead worker replaced. */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { photo, startFunctionProcess, waitReady, type FunctionProcess } from './support.ts';

let fn: FunctionProcess;

beforeAll(async () => {
  // No photo classifies in 50 ms on any machine this runs on; the timeouts are what is under test.
  fn = await startFunctionProcess({ exec_timeout: '50ms', read_timeout: '2' });
  await waitReady(fn.url);
});
afterAll(async () => fn?.stop());

it('answers 504 past exec_timeout, and stays healthy', async () => {
  const res = await fetch(`${fn.url}/`, { method: 'POST', body: readFileSync(photo('dog.jpg')) });
  expect(res.status).toBe(504);
  expect(await res.json()).toEqual({ error: 'classification took longer than exec_timeout (0.05s)' });
  expect((await fetch(`${fn.url}/_/health`)).status).toBe(200);
});

it('gives up on an upload that stalls past read_timeout', async () => {
  const { port } = new URL(fn.url);
  const started = Date.now();
  const answer = await new Promise<string>((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1', () => {
      sock.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(100));
    });
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
    setTimeout(() => reject(new Error('still open after 15 s')), 15_000).unref();
  });
  const waited = Date.now() - started;
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  expect(waited).toBeGreaterThanOrEqual(1900);
  expect(waited).toBeLessThan(10_000);
});

it('replaces a worker that dies, answering 503 meanwhile and 200 again after', async () => {
  const other = await startFunctionProcess();
  try {
    await waitReady(other.url);
    const pid = other.child.pid!;
    const [worker] = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    process.kill(Number(worker), 'SIGKILL');
    const during = await fetch(`${other.url}/`, { method: 'POST', body: readFileSync(photo('dog.jpg')) });
    expect(during.status).toBe(503);
    expect(((await during.json()) as { error: string }).error).toMatch(/worker 0 exited|still loading/);
    await waitReady(other.url);
    const after = await fetch(`${other.url}/`, { method: 'POST', body: readFileSync(photo('dog.jpg')) });
    expect(after.status).toBe(200);
    expect(other.output()).toContain('worker 0 exited (SIGKILL); starting a new one');
  } finally {
    await other.stop();
  }
});
