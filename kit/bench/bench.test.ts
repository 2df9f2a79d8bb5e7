import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localServers } from '../../test/support/local-servers.ts';
import { parseServerTiming, percentile, summarize } from './stats.ts';

const BIN = resolve(import.meta.dirname, '../../bin/edgefaas.js');
const { listenUrl: listen } = localServers();

/**
 * A gateway with one function behind it that serves 2 requests at once, answers the third 429
 * (an of-watchdog's max_inflight), and reports its time split as Server-Timing; replicas follow
 * scale calls. Scaled to 0, the old replicas still answer for 2 s (stopping, gateway cache); a
 * replica scaled up from 0 is first not yet in Swarm's DNS (faas-swarm's 404 "Cannot find service",
 * as on a swarm without IPVS), then answers 503 once while its model loads.
 */
async function fakeGateway() {
  let replicas = 2;
  let inflight = 0;
  let loading = false;
  let appearing = false;
  let stoppingUntil = 0;
  const calls: string[] = [];
  const url = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url}`);
      if (req.url === '/system/function/fn') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ name: 'fn', image: 'x', invocationCount: 0, replicas, availableReplicas: replicas, envProcess: '', labels: {}, annotations: null }));
      }
      if (req.url === '/system/scale-function/fn') {
        const want = JSON.parse(Buffer.concat(chunks).toString()).replicas;
        loading = appearing = replicas === 0 && want > 0;
        if (want === 0) stoppingUntil = Date.now() + 2000;
        replicas = want;
        return res.writeHead(202).end();
      }
      if (req.url === '/function/fn' && req.method === 'POST') {
        if (replicas === 0 && Date.now() < stoppingUntil) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end('{"predictions":[{"label":"malamute","score":0.4}]}');
        }
        if (replicas === 0) {
          replicas = 1;
          loading = appearing = true;
        }
        if (appearing) {
          appearing = false;
          return res.writeHead(404).end('Cannot find service: fn.\n');
        }
        if (loading) {
          loading = false;
          return res.writeHead(503).end('loading');
        }
        if (inflight >= 2) return res.writeHead(429).end('Concurrent request limit exceeded. Max concurrent requests: 2');
        inflight++;
        setTimeout(() => {
          inflight--;
          res.writeHead(200, { 'Content-Type': 'application/json', 'Server-Timing': 'read;dur=1.0, decode;dur=2.0, queue;dur=0.5, infer;dur=20.0' });
          res.end('{"predictions":[{"label":"malamute","score":0.4}]}');
        }, 25);
        return;
      }
      res.writeHead(404).end();
    });
  });
  return { url, calls, replicas: () => replicas };
}

function edgefaas(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, OPENFAAS_PASSWORD: 'pw' }, timeout: 120_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

describe('bench figures', () => {
  it('takes nearest-rank percentiles and reads the function\'s Server-Timing split', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(xs, 50), percentile(xs, 90), percentile(xs, 99), percentile([7], 99), percentile([], 50)]).toEqual([50, 90, 99, 7, null]);
    expect(parseServerTiming('read;dur=1.5, decode;dur=30, queue;desc="wait";dur=12.25, infer;dur=240.0, total;dur=999')).toEqual({ read: 1.5, decode: 30, queue: 12.25, infer: 240 });
    expect(parseServerTiming(undefined)).toBeUndefined();
  });

  it('counts non-2xx by status and keeps them out of the latency figures', () => {
    const r = summarize(5, [
      { status: 200, ms: 100, timing: { read: 1, decode: 9, queue: 20, infer: 50 } },
      { status: 200, ms: 300, timing: { read: 1, decode: 9, queue: 40, infer: 70 } },
      { status: 429, ms: 1 },
      { status: 0, ms: 5000 },
    ], 2000);
    expect(r).toMatchObject({ concurrency: 5, requests: 4, ok: 2, non2xx: 2, errors: { '429': 1, '0': 1 }, p50_ms: 100, p99_ms: 300, mean_ms: 200, throughput: 1 });
    expect(r.split).toEqual({ response_ms: 200, predict_ms: 60, queue_ms: 30, decode_ms: 9, outside_ms: 100 });
  });
});

describe('edgefaas bench', () => {
  it('runs each level, measures a cold start, restores the replicas, writes md/json/svg and ends with one JSON line', { timeout: 120_000 }, async () => {
    const gw = await fakeGateway();
    const dir = await mkdtemp(join(tmpdir(), 'edgefaas-bench-'));
    await writeFile(join(dir, 'dog.jpg'), Buffer.from('not really a jpeg'));
    const r = await edgefaas(['bench', 'fn', 'dog.jpg', '--gateway', gw.url, '--concurrency', '1,4', '--requests', '12', '--out', 'out'], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const last = JSON.parse(lines.at(-1)!);
    expect(last.function).toBe('fn');
    expect(last.levels.map((l: { concurrency: number }) => l.concurrency)).toEqual([1, 4]);
    // One client never exceeds the function's 2 at once; four do, and the 429s are counted, not timed.
    expect(last.levels[0]).toMatchObject({ requests: 12, ok: 12, non2xx: 0, errors: {} });
    expect(last.levels[1].non2xx).toBeGreaterThan(0);
    expect(last.levels[1].errors['429']).toBe(last.levels[1].non2xx);
    expect(last.levels[0].split.predict_ms).toBe(20);
    expect(last.levels[0].p50_ms).toBeGreaterThanOrEqual(20);
    expect(last.cold.first_answer_ms).toBeGreaterThan(0);
    expect(last.cold.attempts).toBe(3);
    expect(gw.calls).toContain('POST /system/scale-function/fn');
    expect(gw.replicas()).toBe(2);
    expect(r.stdout).toMatch(/^conc\s+reqs\s+p50 ms/m);
    const files = (await readdir(join(dir, 'out'))).sort();
    expect(files).toHaveLength(3);
    expect(files.map((f) => f.replace(/\d{8}T\d{6}Z/, 'T'))).toEqual(['bench-fn-T.json', 'bench-fn-T.md', 'bench-fn-T.svg']);
    const svg = await readFile(join(dir, 'out', files[2]!), 'utf8');
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('throughput (images/s) by concurrency');
    expect(JSON.parse(await readFile(join(dir, 'out', files[0]!), 'utf8')).levels).toHaveLength(2);
    expect(await readFile(join(dir, 'out', files[1]!), 'utf8')).toContain('| 4 | 12 |');
  });

  it('refuses a bad --concurrency with exit 2, sending nothing', async () => {
    const gw = await fakeGateway();
    const dir = await mkdtemp(join(tmpdir(), 'edgefaas-bench-'));
    await writeFile(join(dir, 'p.jpg'), 'x');
    const r = await edgefaas(['bench', 'fn', 'p.jpg', '--gateway', gw.url, '--concurrency', '1,0'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--concurrency must be whole numbers 1 to 1000');
    expect(gw.calls).toEqual([]);
  });
});
