import { Agent, request } from 'undici';
import { parseServerTiming, type Sample } from './stats.ts';

export interface LoadOptions {
  /** The function's URL through the gateway, e.g. http://10.0.0.11:8080/function/classify */
  url: string;
  body: Buffer;
  headers?: Record<string, string>;
  concurrency: number;
  requests: number;
  timeoutMs: number;
}

/**
 * A closed loop like ApacheBench's -c: `concurrency` clients, each sending its next request when
 * its last answer is in, until `requests` have been sent. Every request is bounded by timeoutMs.
 */
export async function runLoad(o: LoadOptions): Promise<{ samples: Sample[]; wallMs: number }> {
  const agent = new Agent({ connections: o.concurrency, keepAliveTimeout: 30_000, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs });
  const samples: Sample[] = [];
  let sent = 0;
  const started = performance.now();
  const client = async () => {
    while (sent < o.requests) {
      sent++;
      samples.push(await once(agent, o));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.requests) }, client));
  } finally {
    await agent.close().catch(() => {});
  }
  return { samples, wallMs: performance.now() - started };
}

async function once(agent: Agent, o: LoadOptions): Promise<Sample> {
  const t0 = performance.now();
  try {
    const res = await request(o.url, {
      method: 'POST',
      body: o.body,
      headers: { 'Content-Type': 'image/jpeg', ...(o.headers ?? {}) },
      dispatcher: agent,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    await res.body.arrayBuffer();
    const st = res.headers['server-timing'];
    return { status: res.statusCode, ms: performance.now() - t0, timing: parseServerTiming(Array.isArray(st) ? st.join(', ') : st) };
  } catch {
    return { status: 0, ms: performance.now() - t0 };
  }
}
