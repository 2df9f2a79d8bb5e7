/**
 * of-watchdog's timeouts and limits (0 = none), bodies over MAX_BODY_BYTES refused so clients
 * read the 413, waiting instead of refusing, and a pool that survives its workers dying at any
 * moment: on the real function with the real model.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWithFetch, postWithUrllib } from '../support/oversize.ts';
import { photo, startFunctionProcess, waitReady, type FunctionProcess } from './support.ts';

const dog = () => readFileSync(photo('dog.jpg'));
const post = (url: string) => fetch(`${url}/`, { method: 'POST', body: dog() });

/** Worker process ids of a function process (its children). */
function workerPids(fn: FunctionProcess): number[] {
  const pid = fn.child.pid!;
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

/** A POST announcing `length` bytes of body of which only `first` is sent yet. */
function openUpload(url: string, length: number, first: Buffer | string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), '127.0.0.1', () => {
      sock.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`);
      sock.write(first);
      resolve(sock);
    });
    sock.on('error', reject);
  });
}

/** A client that sent headers and part of a body: it holds a request slot until closed. */
const slowUpload = (url: string) => openUpload(url, 100000, 'x'.repeat(100));

describe('timeouts and the hard cap', () => {
  let fn: FunctionProcess;
  beforeAll(async () => {
    // No photo classifies in 50 ms on any machine this runs on; the timeouts are what is under test.
    fn = await startFunctionProcess({ exec_timeout: '50ms', read_timeout: '2', max_inflight: '1' });
    await waitReady(fn.url);
  });
  afterAll(async () => fn?.stop());

  it('answers 504 past exec_timeout, replaces the worker still busy on it, and stays up', async () => {
    const res = await post(fn.url);
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ error: 'classification took longer than exec_timeout (0.05s)' });
    await until('the stuck worker replaced', () => (fn.output().includes('worker 0 exited (SIGKILL, still busy past exec_timeout); starting a new one') ? true : undefined));
    await waitReady(fn.url);
    expect(fn.child.exitCode).toBe(null);
  });

  it('gives up on an upload that stalls past read_timeout', async () => {
    const sock = await slowUpload(fn.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      let got = '';
      sock.on('data', (d) => (got += d));
      sock.on('close', () => resolve(got));
      setTimeout(() => reject(new Error('still open after 15 s')), 15_000).unref();
    });
    const waited = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(10_000);
  });

  it('keeps max_inflight as the hard cap: 429 with of-watchdog\'s message and a Retry-After', async () => {
    const holder = await slowUpload(fn.url);
    try {
      await until('the slow upload admitted', async () => ((await metric(fn.url, 'classifier_inflight_requests')) === 1 ? true : undefined));
      const res = await post(fn.url);
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await res.json()).toEqual({ error: 'Concurrent request limit exceeded. Max concurrent requests: 1' });
    } finally {
      holder.destroy();
    }
  });
});

/** POST dog.jpg: the first half of the body, then the rest after `pauseMs`; resolves with the status line. */
async function postInTwoHalves(url: string, pauseMs: number): Promise<string> {
  const body = dog();
  const sock = await openUpload(url, body.length, body.subarray(0, body.length >> 1));
  return new Promise((resolve, reject) => {
    let got = '';
    const rest = setTimeout(() => sock.write(body.subarray(body.length >> 1)), pauseMs);
    sock.on('data', (d) => (got += d));
    sock.on('close', () => {
      clearTimeout(rest);
      resolve(got.split('\r\n')[0]!);
    });
    sock.on('error', reject);
  });
}

describe('exec_timeout runs from the request, and only a worker stuck on one request is replaced', () => {
  let fn: FunctionProcess;
  beforeAll(async () => {
    fn = await startFunctionProcess({ exec_timeout: '8', read_timeout: '30', write_timeout: '30' });
    await waitReady(fn.url);
  });
  afterAll(async () => fn?.stop());

  it('answers 504 for an upload that used up exec_timeout, keeps the worker it was handed to, and serves the next request', async () => {
    expect((await post(fn.url)).status).toBe(200);
    const [worker] = workerPids(fn);
    // The upload ends at 6 s. The worker is paused from before the request reaches it until past the
    // request's exec_timeout (8 s from its start): it was on the request ~2.5 s, far less than exec_timeout.
    const pause = setTimeout(() => process.kill(worker!, 'SIGSTOP'), 5500);
    const resumed = new Promise((r) => setTimeout(r, 8500)).then(() => process.kill(worker!, 'SIGCONT'));
    let status: string;
    try {
      status = await postInTwoHalves(fn.url, 6000);
    } finally {
      clearTimeout(pause);
      await resumed;
    }
    expect(status).toBe('HTTP/1.1 504 Gateway Timeout');
    expect((await post(fn.url)).status).toBe(200);
    expect(workerPids(fn)).toEqual([worker]);
    expect(fn.output()).not.toContain('still busy past exec_timeout');
  });
});

describe('of-watchdog reads 0 as no limit', () => {
  let fn: FunctionProcess;
  beforeAll(async () => {
    fn = await startFunctionProcess({ exec_timeout: '0', write_timeout: '0', read_timeout: '0', max_inflight: '0' });
    await waitReady(fn.url);
  });
  afterAll(async () => fn?.stop());

  it('starts, and classifies with exec_timeout, write_timeout and read_timeout at 0', async () => {
    const res = await post(fn.url);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: Array<{ label: string }> }).predictions[0]!.label).toBe('malamute');
    const info = (await (await fetch(`${fn.url}/_/info`)).json()) as { max_inflight: number; exec_timeout_seconds: number };
    expect(info).toMatchObject({ max_inflight: 0, exec_timeout_seconds: 0 });
  });
});

describe('with the default settings', () => {
  let fn: FunctionProcess;
  beforeAll(async () => {
    fn = await startFunctionProcess();
    await waitReady(fn.url);
  });
  afterAll(async () => fn?.stop());

  describe('a body over MAX_BODY_BYTES sent whole, as urllib and fetch send it, reads the 413 JSON: not a broken pipe', () => {
    const refusal = { error: 'request body is over the limit of 10485760 bytes (MAX_BODY_BYTES); send a smaller image' };

    it("Python's urllib posting 20 MB reads the 413 and its JSON error", async () => {
      const answer = await postWithUrllib(`${fn.url}/`);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual(refusal);
    });

    it("Node's fetch posting a 20 MB Buffer reads the 413 and its JSON error", async () => {
      const answer = await postWithFetch(`${fn.url}/`);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual(refusal);
    });

    it('serves the next photo after the refused bodies', async () => {
      expect((await post(fn.url)).status).toBe(200);
    });
  });

  describe('a pool that survives its workers', () => {
    it('lets requests wait for the worker instead of refusing them, and shows the queue', async () => {
      const n = 8; // twice what the old fixed cap (4 per worker) let in
      let deepest = 0;
      let done = false;
      const watch = (async () => {
        while (!done) {
          deepest = Math.max(deepest, await metric(fn.url, 'edgefaas_queue_depth'));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const answers = await Promise.all(Array.from({ length: n }, () => post(fn.url)));
      done = true;
      await watch;
      expect(answers.map((r) => r.status)).toEqual(Array(n).fill(200));
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{ timings_ms: { decode: number; queue: number; infer: number } }>;
      expect(Math.max(...bodies.map((b) => b.timings_ms.queue))).toBeGreaterThan(0);
      expect(answers[0]!.headers.get('server-timing')).toMatch(/^read;dur=[\d.]+, decode;dur=[\d.]+, queue;dur=[\d.]+, infer;dur=[\d.]+$/);
      expect(deepest).toBeGreaterThanOrEqual(1);
      expect(await metric(fn.url, 'edgefaas_workers')).toBe(1);
      expect(await metric(fn.url, 'edgefaas_workers_busy')).toBe(0);
      expect(await metric(fn.url, 'edgefaas_inference_seconds_count')).toBeGreaterThanOrEqual(n);
    });

    it('answers 503 with Retry-After for the request on a worker SIGKILLed under it, then 200 again', async () => {
      const [worker] = workerPids(fn);
      const during = post(fn.url);
      await until('the worker busy', async () => ((await metric(fn.url, 'edgefaas_workers_busy')) === 1 ? true : undefined));
      process.kill(worker!, 'SIGKILL');
      const res = await during;
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await res.json()) as { error: string }).error).toBe('worker 0 exited (SIGKILL) while classifying; retry the request');
      await waitReady(fn.url);
      for (let i = 0; i < 3; i++) expect((await post(fn.url)).status).toBe(200);
      expect(fn.child.exitCode).toBe(null);
      expect(fn.output()).toContain('worker 0 exited (SIGKILL); starting a new one');
    });

    it('answers 503 to requests arriving as an idle worker is killed, and stays up', async () => {
      const [worker] = workerPids(fn);
      process.kill(worker!, 'SIGKILL');
      const answers = await Promise.all(Array.from({ length: 4 }, () => post(fn.url)));
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(((await res.json()) as { error: string }).error).toMatch(/^(worker 0 exited \(SIGKILL\) while classifying; retry the request|no worker is up \(restarting after a crash\); retry .*)$/);
      }
      expect(fn.child.exitCode).toBe(null);
      await waitReady(fn.url);
      expect((await post(fn.url)).status).toBe(200);
    });

    it('retries a respawn that fails, with back-off, until a worker is up again', async () => {
      const [first] = workerPids(fn);
      process.kill(first!, 'SIGKILL');
      // Kill the replacement too, while it is still loading the model.
      const second = await until('a replacement worker', () => workerPids(fn).find((p) => p !== first));
      process.kill(second, 'SIGKILL');
      await until('the failed start logged', () => (/worker 0 failed to start \(SIGKILL\); starting a new one in \d+ s/.test(fn.output()) ? true : undefined));
      await waitReady(fn.url);
      expect((await post(fn.url)).status).toBe(200);
      expect(fn.output()).toContain('worker 0 ready again');
      expect(fn.child.exitCode).toBe(null);
    });
  });
});
