import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dashboardQueries, instantQuery } from '../monitoring/dashboard.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

/**
 * Issue 13 on a lab of three Pi-sized hosts (--cpus 0.5): replicas spread one per node from the first
 * deploy, `edgefaas bench` with no error at concurrency up to 20, the Grafana dashboard's queries
 * answered by the stack's real Prometheus, and the real Prometheus + Alertmanager scaling the
 * function up under sustained load and back down when it stops, seen in the gateway's /system/functions.
 */
const BIN = resolve(import.meta.dirname, '../../bin/edgefaas.js');
const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CACHE = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
const PHOTO = join(process.env.EDGEFAAS_PHOTOS || join(CACHE, 'edgefaas', 'photos'), 'dog.jpg');

let lab: TestLab;
let gateway: string;
let prometheus: string;
let password: string;

function edgefaas(args: string[], timeoutMs = 1_500_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [BIN, '--config', lab.clusterFile, ...args],
      {
        cwd: lab.home,
        env: { PATH: process.env.PATH ?? '', HOME: lab.home, EDGEFAAS_HOME: lab.home, XDG_CACHE_HOME: CACHE, EDGEFAAS_CACHE: join(CACHE, 'edgefaas'), EDGEFAAS_PHOTOS: join(CACHE, 'edgefaas', 'photos') },
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

async function editCluster(change: (doc: any) => void): Promise<void> {
  const doc = parse(await readFile(lab.clusterFile, 'utf8'));
  change(doc);
  await writeFile(lab.clusterFile, stringify(doc));
}

const auth = () => ({ Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` });

/** Desired replicas of classify as the gateway reports them. */
async function replicas(): Promise<number> {
  const res = await fetch(`${gateway}/system/functions`, { headers: auth(), signal: AbortSignal.timeout(30_000) });
  const list = (await res.json()) as Array<{ name: string; replicas: number }>;
  return list.find((f) => f.name === 'classify')!.replicas;
}

/** Whether the stack's Prometheus has the scaling alert firing now. */
async function alertFiring(): Promise<boolean> {
  const a = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent('ALERTS{alertname="FunctionQueueing",alertstate="firing"}')}`, { signal: AbortSignal.timeout(30_000) });
  return ((await a.json()) as { data: { result: unknown[] } }).data.result.length > 0;
}

/** The replicas' own log lines (worker restarts, refusals), for a failure's message. */
async function functionLogs(): Promise<string> {
  return onNode(lab, 0, 'docker service logs --tail 40 classify 2>&1').catch((e: Error) => e.message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms / 1000);

beforeAll(async () => {
  await new Promise<void>((ok, fail) => execFile('npm', ['run', 'build:function'], { cwd: REPO_ROOT }, (e) => (e ? fail(e) : ok())));
  lab = await startLab({ name: 'tputscale', subnet: '10.99.63.0/24', nodes: 3, cpus: 0.5 });
  // classify alone: a second function would share each host's half CPU.
  await editCluster((d) => (d.functions = [{ name: 'classify', model: 'resnet50' }]));
  for (const args of [['up', '--yes'], ['images', 'push', '--base', 'debian']]) {
    const r = await edgefaas(args);
    if (r.code !== 0) throw new Error(`edgefaas ${args.join(' ')} failed: ${r.stderr}\n${r.stdout}`);
  }
  gateway = `http://${lab.info.nodes[0]!.address}:8080`;
  prometheus = `http://${lab.info.nodes[0]!.address}:9090`;
  password = (await readFile(join(lab.home, (parse(await readFile(lab.clusterFile, 'utf8')) as { name: string }).name, 'gateway-password'), 'utf8')).trim();
}, 3_000_000);

afterAll(() => lab?.stop());

describe('the cluster serves with all its nodes (lab, --cpus 0.5 hosts)', () => {
  it("deploys classify with one replica per node from the first deploy, one worker per half-CPU host, scaling no further than the hosts' cores", { timeout: 1_500_000 }, async () => {
    const r = await edgefaas(['deploy', '--timeout', '1200']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^classify: created, 3 replica\(s\)/m);
    const stack = parse(await readFile(join(lab.home, 'stack.yml'), 'utf8'));
    expect(stack.functions.classify.labels).toMatchObject({ 'com.openfaas.scale.min': '3', 'com.openfaas.scale.max': '3' });
    expect(stack.functions.classify.environment.WORKERS).toBe('1');
    const nodes = await onNode(lab, 0, "docker service ps classify --filter desired-state=running --format '{{.Node}}'");
    expect(nodes.trim().split('\n').sort()).toEqual(['pi-1', 'pi-2', 'pi-3']);
  });

  it('edgefaas bench classify: every answer 2xx at every level up to 20; last line one JSON object with the per-level figures', { timeout: 1_800_000 }, async () => {
    const seen: number[] = [];
    let benching = true;
    const watch = (async () => {
      while (benching) {
        seen.push(await replicas().catch(() => -1));
        await sleep(5000);
      }
    })();
    const r = await edgefaas(['bench', 'classify', PHOTO, '--out', lab.home], 1_700_000);
    benching = false;
    await watch;
    const lastLine = r.stdout.trimEnd().split('\n').at(-1)!;
    console.log(`bench (replicas seen meanwhile: ${[...new Set(seen)].join(', ')}): ${lastLine}`);
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(lastLine);
    expect(last.levels.map((l: { concurrency: number }) => l.concurrency)).toEqual([1, 5, 10, 20]);
    const failed = last.levels.filter((l: { non2xx: number }) => l.non2xx > 0);
    if (failed.length) console.log(`classify's log:\n${await functionLogs()}`);
    for (const l of last.levels) expect({ c: l.concurrency, ok: l.ok, non2xx: l.non2xx, errors: l.errors }).toEqual({ c: l.concurrency, ok: 40, non2xx: 0, errors: {} });
    // A new replica answers first after loading the model: never as soon as a warm one (a replica still stopping would).
    expect(last.cold.first_answer_ms).toBeGreaterThan(last.levels[0].p99_ms);
    for (const l of last.levels) expect(l.split.predict_ms).toBeGreaterThan(0);
  });

  it("answers every Grafana dashboard query from the stack's Prometheus, with data where the lab has the metric", { timeout: 300_000 }, async () => {
    const names = new Set(((await (await fetch(`${prometheus}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data);
    // What the gateway and every replica export once they have served (the bench above did).
    for (const m of ['gateway_function_invocation_total', 'gateway_service_count', 'gateway_functions_seconds_bucket', 'classifier_worker_resident_memory_bytes', 'edgefaas_queue_depth']) expect(names).toContain(m);
    for (const q of await dashboardQueries()) {
      const a = await instantQuery(prometheus, q.expr.replaceAll('[1m]', '[10m]'));
      expect({ q: `${q.panel} ${q.refId}`, status: a.status, error: a.error }).toEqual({ q: `${q.panel} ${q.refId}`, status: 'success', error: undefined });
      expect({ q: `${q.panel} ${q.refId}`, series: a.series > 0 }).toEqual({ q: `${q.panel} ${q.refId}`, series: true });
    }
  });

  it('scales up under sustained load without a manual scale, and back down after it stops', { timeout: 2_400_000 }, async () => {
    await editCluster((d) => (d.scale = { min: 1, max: 3 }));
    const r = await edgefaas(['deploy', '--timeout', '1200']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^classify: updated, \d+ replica\(s\)/m);
    // Start from quiet: the bench's queueing may still hold the alert; its end puts classify back at scale.min.
    const quietBy = Date.now() + 10 * 60_000;
    while (Date.now() < quietBy && ((await alertFiring()) || (await replicas()) !== 1)) await sleep(5000);
    expect({ firing: await alertFiring(), replicas: await replicas() }).toEqual({ firing: false, replicas: 1 });

    const photo = await readFile(PHOTO);
    let stop = false;
    let served = 0;
    const client = async () => {
      while (!stop) {
        const res = await fetch(`${gateway}/function/classify`, { method: 'POST', body: new Uint8Array(photo), signal: AbortSignal.timeout(120_000) }).catch(() => undefined);
        if (res) {
          await res.arrayBuffer().catch(() => {});
          if (res.ok) served++;
        } else await sleep(500);
      }
    };
    const loadStart = Date.now();
    const clients = Array.from({ length: 8 }, client);
    const timeline: string[] = [];
    let peak = 1;
    let prev = 1;
    let firstRise: number | undefined;
    const upDeadline = Date.now() + 12 * 60_000;
    while (Date.now() < upDeadline && peak < 3) {
      await sleep(5000);
      const n = await replicas();
      if (n !== prev) timeline.push(`${n} at +${seconds(Date.now() - loadStart)} s`);
      if (n > 1 && firstRise === undefined) firstRise = Date.now() - loadStart;
      peak = Math.max(peak, n);
      prev = n;
    }
    stop = true;
    await Promise.all(clients);
    const loadEnd = Date.now();
    let now = await replicas();
    const downDeadline = Date.now() + 12 * 60_000;
    while (Date.now() < downDeadline && now !== 1) {
      await sleep(5000);
      const n = await replicas();
      if (n !== now) timeline.push(`${n} at ${seconds(Date.now() - loadEnd)} s after the load stopped`);
      now = n;
    }
    console.log(`scaling: ${served} answered under load (${seconds(loadEnd - loadStart)} s); replicas ${timeline.join(', ')}; first rise +${firstRise === undefined ? '-' : seconds(firstRise)} s, peak ${peak}`);
    expect(served).toBeGreaterThan(0);
    expect(peak).toBeGreaterThan(1);
    expect({ peak, after: now }).toEqual({ peak, after: 1 });
  });
});
