import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { GatewayError, type GatewayClient, type InvokeResult } from '../gateway/index.ts';

export interface Prediction {
  label: string;
  score: number;
  class?: number;
}

export interface Answer {
  model: string;
  predictions: Prediction[];
}

export class InvokeError extends Error {
  override name = 'InvokeError';
}

export function parseAnswer(body: Buffer): Answer {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvokeError(`the function answered something other than JSON: ${body.toString('utf8').slice(0, 200)}`);
  }
  const a = v as Partial<Answer>;
  if (!Array.isArray(a.predictions)) throw new InvokeError(`the function's answer has no predictions: ${body.toString('utf8').slice(0, 200)}`);
  return { model: String(a.model ?? ''), predictions: a.predictions };
}

/** "malamute 0.422, Eskimo_dog 0.210, Siberian_husky 0.084", as the seed's function printed it. */
export function formatAnswer(a: Answer): string {
  return a.predictions.map((p) => `${p.label} ${p.score.toFixed(3)}`).join(', ');
}

/**
 * How long invoke retries a function that is still appearing: after scale from zero the gateway
 * forwards once a task runs, but Swarm's DNS may not list it yet for a few seconds. The direct path
 * answers 502 then (lookup NAME: no such host); through faas-swarm (dnsrr) it is 404 "Cannot find
 * service: NAME." or 500 "Can't reach service for: NAME." (shared/reference/openfaas-gateway.md).
 */
export const APPEARING_RETRY_MS = 30_000;

/** The gateway's or provider's "not reachable yet" answer, or undefined for the function's own. */
export function appearingAnswer(name: string, status: number, body: string): string | undefined {
  const text = body.trim();
  if (status === 502) return '502 from the gateway';
  if (status === 404 && text === `Cannot find service: ${name}.`) return `404 ${text}`;
  if (status === 500 && text === `Can't reach service for: ${name}.`) return `500 ${text}`;
  return undefined;
}

export interface InvokeOptions {
  timeoutMs?: number;
  /** How long to retry the appearing window (default APPEARING_RETRY_MS; 0: no retry). */
  retryMs?: number;
  /** Told once when a retry starts, so the wait is explained. */
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** One call, retried through the scale-from-zero window described above, and said so. */
export async function invokeRetrying(gateway: GatewayClient, name: string, send: () => Promise<InvokeResult>, o: InvokeOptions = {}): Promise<InvokeResult> {
  const until = Date.now() + (o.retryMs ?? APPEARING_RETRY_MS);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let told = false;
  for (;;) {
    let why: string | undefined;
    let res: InvokeResult | undefined;
    try {
      res = await send();
      why = appearingAnswer(name, res.status, res.body.toString('utf8'));
    } catch (e) {
      if (!(e instanceof GatewayError) || e.status !== 502) throw e;
      why = appearingAnswer(name, 502, '');
    }
    if (!why) return res!;
    if (Date.now() >= until) {
      if (res) return res;
      throw new InvokeError(`function ${name} at ${gateway.baseUrl} still answered ${why} after ${Math.round((o.retryMs ?? APPEARING_RETRY_MS) / 1000)} s of retries; run: edgefaas status`);
    }
    if (!told) {
      o.log?.(`function ${name} answered ${why}: it may have just scaled from zero and not be in Swarm's DNS yet; retrying for up to ${Math.round((o.retryMs ?? APPEARING_RETRY_MS) / 1000)} s`);
      told = true;
    }
    await sleep(1000);
  }
}

/** edgefaas invoke FUNCTION PHOTO: the photo's bytes as the body, as `curl --data-binary @photo` sends them. */
export async function invokeWithPhoto(gateway: GatewayClient, name: string, photoPath: string, o: InvokeOptions = {}): Promise<Answer> {
  let photo: Buffer;
  try {
    photo = await fs.readFile(photoPath);
  } catch {
    throw new InvokeError(`cannot read ${photoPath}; give the path of a JPEG or PNG photo`);
  }
  const res = await invokeRetrying(gateway, name, () => gateway.invoke(name, photo, { timeoutMs: o.timeoutMs }), o);
  if (res.status !== 200) {
    const text = res.body.toString('utf8').trim().slice(0, 300);
    throw new InvokeError(`function ${name} at ${gateway.baseUrl} answered ${res.status} for ${basename(photoPath)}${text ? `: ${text}` : ''}`);
  }
  return parseAnswer(res.body);
}

/**
 * edgefaas invoke --async: queued through NATS, answered 202 with an X-Call-Id. A gateway without
 * NATS settings has no async route and answers 404 "404 page not found", as gateway 0.18.18 does.
 */
export async function invokeAsyncWithPhoto(gateway: GatewayClient, name: string, photoPath: string, callbackUrl?: string): Promise<{ callId: string }> {
  let photo: Buffer;
  try {
    photo = await fs.readFile(photoPath);
  } catch {
    throw new InvokeError(`cannot read ${photoPath}; give the path of a JPEG or PNG photo`);
  }
  try {
    return { callId: await gateway.invokeAsync(name, photo, callbackUrl) };
  } catch (e) {
    if (e instanceof GatewayError && e.status === 404 && e.body.trim() === '404 page not found') {
      throw new InvokeError(
        `async calls need NATS: the gateway at ${gateway.baseUrl} has no /async-function route (404 page not found), so this cluster runs without nats and queue-worker; call it synchronously: edgefaas invoke ${name} ${photoPath}`,
      );
    }
    throw e;
  }
}
