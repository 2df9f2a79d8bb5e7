import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { handleAlert } from './alerts.ts';
import { checkAuth, type Credentials } from './auth.ts';
import { NAME, notFound, readBody, send, sendJson } from './http.ts';
import { forwardedHeaders, headersWithout, pipeUpstream } from './upstream.ts';

/**
 * The gateway's side (gateway 0.18.18, gateway/main.go; shared/reference/openfaas-gateway.md,
 * "Measured on a lab swarm"): auth, /system/* and /healthz to the provider, /function/* with
 * scale-from-zero either straight to http://NAME:8080 (direct_functions=true: the service VIP,
 * unreachable without IPVS) or through the provider. No async routes: the stand-in never runs with
 * NATS (main.ts exits when NATS is configured, as the real gateway does when it cannot reach it).
 */
export interface GatewayOptions {
  providerUrl: string;
  creds?: Credentials;
  /** direct_functions: call http://NAME:8080 (VIP) instead of the provider's /function/NAME (default false, as unset). */
  direct?: boolean;
  /** Where a function answers with direct_functions; default http://NAME:8080, as the gateway has no dnsrr. */
  upstream?: (name: string) => { host: string; port: number };
  upstreamTimeoutMs: number;
  arch: string;
  registry?: Registry;
  /** Scale-from-zero polling: 1000 tries, 50 ms apart on Swarm. */
  pollMs?: number;
  pollTries?: number;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
// Go re-sends the body chunked (no Content-Length) and addresses the upstream as its own host.
const NOT_FORWARDED = [...HOP_BY_HOP, 'content-length', 'host'];

export function createGateway(o: GatewayOptions) {
  const registry = o.registry ?? new Registry();
  const invocations = new Counter({ name: 'gateway_function_invocation_total', help: 'Function metrics', labelNames: ['function_name', 'code'], registers: [registry] });
  const seconds = new Histogram({ name: 'gateway_functions_seconds', help: 'Function time taken', labelNames: ['function_name'], registers: [registry] });
  const started = new Counter({ name: 'gateway_function_invocation_started', help: 'Function invocation started', labelNames: ['function_name'], registers: [registry] });
  const serviceCount = new Gauge({ name: 'gateway_service_count', help: 'Current count of replicas for function', labelNames: ['function_name'], registers: [registry] });
  const httpTotal = new Counter({ name: 'http_requests_total', help: 'number of HTTP requests', labelNames: ['code', 'method'], registers: [registry] });
  const httpSeconds = new Histogram({ name: 'http_request_duration_seconds', help: 'Seconds spent serving HTTP requests.', labelNames: ['method', 'path', 'status'], registers: [registry] });
  const counts = new Map<string, number>();
  const upstream = o.upstream ?? ((name: string) => ({ host: name, port: 8080 }));
  const provider_ = new URL(o.providerUrl);
  /** scaling.FunctionCache: a function seen with available replicas skips the lookup for 5 s. */
  const warm = new Map<string, number>();

  const authHeader = (): Record<string, string> =>
    o.creds ? { Authorization: `Basic ${Buffer.from(`${o.creds.user}:${o.creds.password}`).toString('base64')}` } : {};

  async function provider(method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}) {
    const res = await fetch(new URL(path, o.providerUrl), { method, body: body && body.length ? (typeof body === 'string' ? body : new Uint8Array(body)) : undefined, headers: { ...authHeader(), ...headers } });
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  async function proxySystem(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const body = ['GET', 'HEAD'].includes(req.method ?? 'GET') ? undefined : await readBody(req);
    const ct = req.headers['content-type'];
    let r;
    try {
      r = await provider(req.method ?? 'GET', path + query, body, ct ? { 'Content-Type': ct } : {});
    } catch {
      return send(res, 502); // forwardRequest: the provider did not answer
    }
    if (path === '/system/functions' && req.method === 'GET') {
      if (r.status !== 200) return send(res, 500, `Error pulling metrics from provider/backend. Status code: ${r.status}`);
      const list = JSON.parse(r.text) as Array<{ name: string; invocationCount: number; replicas: number }>;
      for (const f of list) {
        f.invocationCount = counts.get(f.name) ?? 0;
        serviceCount.set({ function_name: f.name }, f.replicas);
      }
      return sendJson(res, 200, list);
    }
    res.writeHead(r.status, r.headers.get('content-type') ? { 'Content-Type': r.headers.get('content-type')! } : {});
    res.end(r.text);
  }

  async function invoke(req: IncomingMessage, res: ServerResponse, name: string, rest: string, query: string): Promise<void> {
    if ((warm.get(name) ?? 0) < Date.now()) {
      let lookup;
      try {
        lookup = await provider('GET', `/system/function/${name}`);
      } catch (e) {
        return send(res, 404, `error finding function ${name}.: ${(e as Error).message}`);
      }
      if (lookup.status !== 200) {
        return send(res, 404, `error finding function ${name}.: server returned non-200 status code (${lookup.status}) for function, ${name}`);
      }
      let fn = JSON.parse(lookup.text) as { replicas: number; availableReplicas: number; labels?: Record<string, string> | null };
      serviceCount.set({ function_name: name }, fn.replicas);
      // Scale from zero: set min only when no replica is wanted, then wait for one to be available
      // and forward anyway once the polls run out (function_scaler.go).
      if (fn.availableReplicas === 0) {
        if (fn.replicas === 0) {
          const min = Number(fn.labels?.['com.openfaas.scale.min'] ?? 1) || 1;
          await provider('POST', `/system/scale-function/${name}`, JSON.stringify({ serviceName: name, replicas: min }));
        }
        for (let i = 0; i < (o.pollTries ?? 1000); i++) {
          const r = await provider('GET', `/system/function/${name}`);
          if (r.status === 200 && (fn = JSON.parse(r.text)).availableReplicas > 0) break;
          await new Promise((r2) => setTimeout(r2, o.pollMs ?? 50));
        }
      }
      if (fn.availableReplicas > 0) warm.set(name, Date.now() + 5000);
    }

    const headers = forwardedHeaders(req, NOT_FORWARDED);
    headers['x-call-id'] ??= randomUUID();
    headers['x-start-time'] = `${BigInt(Date.now()) * 1_000_000n}`;

    const t0 = process.hrtime.bigint();
    started.inc({ function_name: name });
    const target = o.direct ? { ...upstream(name), path: `/${rest.replace(/^\//, '')}${query}` } : { host: provider_.hostname, port: Number(provider_.port || 80), path: `/function/${name}${rest}${query}` };
    const code = await pipeUpstream(req, res, {
      ...target,
      headers,
      timeoutMs: o.upstreamTimeoutMs,
      responseHeaders: (ur) => headersWithout(ur.headers, HOP_BY_HOP),
      unreachable: { status: 502 },
    });
    if (code === undefined) return;
    invocations.inc({ function_name: name, code: String(code) });
    seconds.observe({ function_name: name }, Number(process.hrtime.bigint() - t0) / 1e9);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    const query = url.search;
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if (path === '/healthz') return method === 'GET' ? proxySystem(req, res, path, query) : send(res, 405);
    if ((m = new RegExp(`^/function/(${NAME})(/.*)?$`).exec(path))) return invoke(req, res, m[1]!, m[2] ?? '', query);
    if (path === '/' && method === 'GET') return send(res, 301, '', { Location: '/ui/' });
    if (path.startsWith('/system/') || path.startsWith('/ui/')) {
      if (!checkAuth(o.creds, req, res)) return;
      if (path === '/system/info') {
        if (method !== 'GET') return send(res, 405);
        const p = await provider('GET', '/system/info').catch(() => undefined);
        if (p?.status !== 200) return send(res, 500);
        return sendJson(res, 200, { provider: JSON.parse(p.text), version: { commit_message: 'edgefaas lab stand-in', sha: 'edgefaas-standin', release: '0.18.18' }, arch: o.arch });
      }
      if (path === '/system/alert') {
        return method === 'POST' ? handleAlert(req, res, { providerUrl: o.providerUrl, provider: (m, p, b) => provider(m, p, b) }) : send(res, 405);
      }
      if (path === '/system/namespaces') return method === 'GET' ? sendJson(res, 200, []) : send(res, 405);
      if (path === '/system/functions' || new RegExp(`^/system/(function|scale-function)/${NAME}$`).test(path) || path === '/system/secrets') {
        return proxySystem(req, res, path, query);
      }
      return notFound(res);
    }
    return notFound(res);
  }

  return {
    registry,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const end = httpSeconds.startTimer({ method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://g').pathname });
      res.on('finish', () => {
        end({ status: String(res.statusCode) });
        httpTotal.inc({ code: String(res.statusCode), method: req.method ?? 'GET' });
      });
      try {
        await route(req, res);
      } catch (e) {
        if (!res.headersSent) send(res, 500, (e as Error).message);
        else res.destroy();
      }
    },
    async metrics(_req: IncomingMessage, res: ServerResponse): Promise<void> {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(await registry.metrics());
    },
  };
}
