import type { GatewayClient } from '../gateway/index.ts';
import { GatewayError, GatewayUnreachableError } from '../gateway/index.ts';
import { appearingAnswer } from '../openfaas/invoke.ts';
import { runLoad } from './load.ts';
import { summarize, type LevelResult } from './stats.ts';

export interface BenchOptions {
  gateway: GatewayClient;
  function: string;
  photo: Buffer;
  photoName: string;
  /** Concurrent clients per level (default 1, 5, 10, 20). */
  levels: number[];
  requests: number;
  /** Measure a new replica's first answer (scales the function to 0 and back first). */
  cold: boolean;
  timeoutMs: number;
  /** How long to wait for replicas to be back and warm. */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface ColdStart {
  /** ms from the first request to the first 2xx answer, retrying 502/503 as a client would; null if none came. */
  first_answer_ms: number | null;
  attempts: number;
  note: string;
}

export interface BenchResult {
  function: string;
  gateway: string;
  photo: string;
  photo_bytes: number;
  started: string;
  replicas: number;
  requests_per_level: number;
  cold: ColdStart | null;
  levels: LevelResult[];
}

export const DEFAULT_LEVELS = [1, 5, 10, 20];

/**
 * After a scale to 0 the gateway reports no replica at once, but the old ones may still answer for
 * a while: Swarm's agents stop their tasks (and drop them from tasks.NAME) a little later, and the
 * gateway forwards without asking for 5 s after it last saw the function available (its function
 * cache). Measured on the lab: the "cold" request answered in 192 ms by a replica on its way out.
 * Waiting this long makes the first request meet a new replica.
 */
export const COLD_DRAIN_MS = 15_000;

export class BenchError extends Error {
  override name = 'BenchError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new BenchError(`${what} within ${Math.round(timeoutMs / 1000)} s; run: edgefaas status`);
    await sleep(500);
  }
}

function functionUrl(o: BenchOptions): string {
  return `${o.gateway.baseUrl}/function/${encodeURIComponent(o.function)}`;
}

/**
 * One request, retried while a replica is still starting (503, 429) or not yet reachable: the gateway's
 * 502, or faas-swarm's 404/500 while the new task is not in Swarm's DNS (appearingAnswer).
 */
async function firstAnswer(o: BenchOptions, timeoutMs: number): Promise<ColdStart> {
  const t0 = performance.now();
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last = '';
  while (Date.now() < deadline) {
    attempts++;
    try {
      const r = await o.gateway.invoke(o.function, o.photo, { headers: { 'Content-Type': 'image/jpeg' }, timeoutMs: o.timeoutMs });
      if (r.status >= 200 && r.status < 300) return { first_answer_ms: Math.round(performance.now() - t0), attempts, note: 'scaled to 0, then one request through the gateway (scale from zero)' };
      last = `HTTP ${r.status}`;
      if (r.status !== 503 && r.status !== 429 && !appearingAnswer(o.function, r.status, r.body.toString('utf8'))) break;
    } catch (e) {
      if (!(e instanceof GatewayUnreachableError) && !(e instanceof GatewayError && e.status === 502)) throw e;
      last = (e as Error).message;
    }
    await sleep(200);
  }
  return { first_answer_ms: null, attempts, note: `last: ${last}` };
}

async function waitAvailable(o: BenchOptions, replicas: number): Promise<void> {
  await until(`${o.function} did not get ${replicas} replica(s) running`, o.readyTimeoutMs ?? 600_000, async () => {
    const st = await o.gateway.getFunction(o.function);
    return st.availableReplicas >= replicas ? true : undefined;
  });
}

/** Until the replicas answer: a batch of 2 per replica with no 502/503 or dropped connection (models loaded, first predicts done). */
async function warmUp(o: BenchOptions, replicas: number): Promise<void> {
  const starting = (status: number) => status === 0 || status === 502 || status === 503;
  await until(`${o.function} still answers 502/503 (replicas starting)`, o.readyTimeoutMs ?? 600_000, async () => {
    const { samples } = await runLoad({ url: functionUrl(o), body: o.photo, concurrency: replicas, requests: 2 * replicas, timeoutMs: o.timeoutMs });
    return samples.some((s) => starting(s.status)) ? undefined : true;
  });
}

/**
 * Seed 3's measurement as a command: warm replicas at each concurrency level (a closed loop of N
 * requests), plus, first, a cold start: the function scaled to 0 and one request timed until a new
 * replica answers. The replica count is put back as it was before the warm levels.
 */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const log = o.log ?? (() => {});
  const started = (o.now ?? (() => new Date()))().toISOString();
  const before = await o.gateway.getFunction(o.function);
  const replicas = Math.max(1, before.replicas);
  let cold: ColdStart | null = null;
  if (o.cold) {
    log(`cold start: scaling ${o.function} to 0, letting the old replicas stop (${COLD_DRAIN_MS / 1000} s), then timing one request until a new replica answers`);
    await o.gateway.scaleFunction(o.function, 0);
    try {
      await until(`${o.function} did not scale to 0`, o.readyTimeoutMs ?? 600_000, async () => ((await o.gateway.getFunction(o.function)).availableReplicas === 0 ? true : undefined));
      await sleep(COLD_DRAIN_MS);
      cold = await firstAnswer(o, o.readyTimeoutMs ?? 600_000);
    } finally {
      await o.gateway.scaleFunction(o.function, replicas);
    }
    log(cold.first_answer_ms === null ? `cold start: no answer (${cold.note})` : `cold start: first answer after ${cold.first_answer_ms} ms`);
  }
  await waitAvailable(o, replicas);
  log(`warming ${replicas} replica(s)`);
  await warmUp(o, replicas);
  const levels: LevelResult[] = [];
  for (const c of o.levels) {
    log(`concurrency ${c}: ${o.requests} requests`);
    const { samples, wallMs } = await runLoad({ url: functionUrl(o), body: o.photo, concurrency: c, requests: o.requests, timeoutMs: o.timeoutMs });
    levels.push(summarize(c, samples, wallMs));
  }
  return {
    function: o.function,
    gateway: o.gateway.baseUrl,
    photo: o.photoName,
    photo_bytes: o.photo.length,
    started,
    replicas,
    requests_per_level: o.requests,
    cold,
    levels,
  };
}
