import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, send } from './http.ts';

/**
 * POST /system/alert as gateway 0.18.18 answers it (faas gateway/handlers/alerthandler.go,
 * plugin/external.go, scaling/ranges.go): Alertmanager's webhook body, one scaling step per alert.
 * A firing alert adds ceil(max/100*factor) replicas up to com.openfaas.scale.max; any other status
 * (resolved) sets com.openfaas.scale.min. A function the provider cannot read is skipped silently;
 * a failed scale call makes the answer 500 listing each error.
 */
export interface AlertDeps {
  /** The provider's base URL with its trailing slash (functions_provider_url). */
  providerUrl: string;
  /** One authenticated call to the provider; throws when it cannot be reached. */
  provider(method: string, path: string, body?: string): Promise<{ status: number; text: string }>;
  /** The gateway's default namespace: empty on Swarm. */
  defaultNamespace?: string;
  log?: (line: string) => void;
}

export const SCALE_DEFAULTS = { min: 1, max: 20, factor: 20 } as const;

/** Go's strconv.Atoi then uint64(): empty or unparsable gives the fallback; a negative wraps as uint64 does. */
function labelValue(raw: string | undefined, fallback: number): number {
  if (!raw) return fallback;
  if (!/^[+-]?\d+$/.test(raw)) return fallback;
  const n = BigInt(raw);
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) return fallback;
  return Number(n < 0n ? n + 2n ** 64n : n);
}

/** The gateway's CalculateReplicas, float math included. */
export function calculateReplicas(status: string, current: number, max: number, min: number, factor: number): number {
  const step = Math.ceil((max / 100) * factor);
  if (status === 'firing' && step > 0) return current + step > max ? max : current + step;
  return min;
}

/** getNamespace: "fn.ns" splits at the last dot; a bare name takes the default namespace. */
function splitName(full: string, defaultNamespace: string): [string, string] {
  const i = full.lastIndexOf('.');
  return i > -1 ? [full.slice(0, i), full.slice(i + 1)] : [full, defaultNamespace];
}

interface Alert {
  status: string;
  functionName: string;
}

/** Go's json.Unmarshal into PrometheusAlert: wrong types fail, unknown keys and nulls pass. */
function parseAlerts(body: Buffer): Alert[] | undefined {
  let v: any;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (v === null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  if (v.alerts === undefined || v.alerts === null) return [];
  if (!Array.isArray(v.alerts)) return undefined;
  const out: Alert[] = [];
  for (const a of v.alerts) {
    if (a === null) {
      out.push({ status: '', functionName: '' });
      continue;
    }
    if (typeof a !== 'object' || Array.isArray(a)) return undefined;
    const labels = a.labels ?? {};
    if (typeof labels !== 'object' || Array.isArray(labels)) return undefined;
    const status = a.status ?? '';
    const functionName = labels.function_name ?? '';
    if (typeof status !== 'string' || typeof functionName !== 'string') return undefined;
    out.push({ status, functionName });
  }
  return out;
}

class ProviderUnreachable extends Error {}

async function scaleOne(a: Alert, d: AlertDeps): Promise<string | undefined> {
  const [name, namespace] = splitName(a.functionName, d.defaultNamespace ?? '');
  if (!name) return undefined;
  const query = `?namespace=${namespace}`;
  let fn: { replicas?: number; labels?: Record<string, string> | null };
  try {
    const r = await d.provider('GET', `system/function/${name}${query}`);
    if (r.status !== 200) return undefined;
    fn = JSON.parse(r.text);
  } catch {
    // Unreachable provider or a body that is not JSON: GetReplicas errs and the alert is skipped.
    return undefined;
  }
  const labels = fn?.labels ?? {};
  const min = labelValue(labels['com.openfaas.scale.min'], SCALE_DEFAULTS.min);
  const max = labelValue(labels['com.openfaas.scale.max'], SCALE_DEFAULTS.max);
  let factor = labelValue(labels['com.openfaas.scale.factor'], SCALE_DEFAULTS.factor);
  if (factor > 100) factor = SCALE_DEFAULTS.factor;
  const current = Number(fn?.replicas ?? 0);
  const want = calculateReplicas(a.status, current, max, min, factor);
  d.log?.(`[Scale] function=${name} ${current} => ${want}.`);
  if (want === current) return undefined;
  const path = `system/scale-function/${name}${query}`;
  let status: number;
  try {
    status = (await d.provider('POST', path, JSON.stringify({ serviceName: name, replicas: want }))).status;
  } catch {
    throw new ProviderUnreachable();
  }
  if (status !== 200 && status !== 202) return `error scaling HTTP code ${status}, ${new URL(path, d.providerUrl).href}`;
  return undefined;
}

export async function handleAlert(req: IncomingMessage, res: ServerResponse, d: AlertDeps): Promise<void> {
  const alerts = parseAlerts(await readBody(req));
  if (!alerts) return send(res, 400, 'Unable to parse alert, bad format.');
  const errors: string[] = [];
  for (const a of alerts) {
    try {
      const e = await scaleOne(a, d);
      if (e) errors.push(e);
    } catch (e) {
      // The real SetReplicas reads res.StatusCode of a failed call: a nil dereference, so Go's
      // server drops the connection without an answer.
      if (e instanceof ProviderUnreachable) return void res.destroy();
      throw e;
    }
  }
  if (errors.length) return send(res, 500, errors.map((e, i) => `[${i}] ${e}\n`).join(''));
  send(res, 200);
}
