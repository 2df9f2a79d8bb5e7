import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from './http.ts';
import { forwardedHeaders, headersWithout, pipeUpstream } from './upstream.ts';

/**
 * faas-provider's proxy as faas-swarm 0.9.0 wires it (proxy/proxy.go, handlers/proxy.go): the
 * gateway sends /function/NAME here when direct_functions=false. With dnsrr=true the function is
 * found by resolving tasks.NAME and calling one task IP at random; otherwise a service of that name
 * must exist and http://NAME:8080 (the VIP, unreachable without IPVS) is called.
 */
export interface FunctionProxyOptions {
  /** faas-swarm's `dnsrr` env. */
  dnsrr?: boolean;
  /** The provider's read_timeout: its proxy client's timeout. */
  proxyTimeoutMs?: number;
  /** Name resolution (tests point tasks.NAME at loopback); default: the system resolver. */
  lookup?: (host: string) => Promise<string[]>;
  /** The watchdog port (8080); tests point it at a local server. */
  functionPort?: number;
}

const PROXIED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const NOT_FORWARDED = ['content-length', 'transfer-encoding', 'host'];
const NOT_RETURNED = ['transfer-encoding', 'connection'];

export function createFunctionProxy(o: FunctionProxyOptions, serviceExists: (name: string) => Promise<boolean>) {
  const lookup = o.lookup ?? (async (host: string) => (await dnsLookup(host, { all: true })).map((a) => a.address));
  const port = o.functionPort ?? 8080;

  async function resolve(name: string): Promise<string | undefined> {
    if (o.dnsrr) {
      const ips = await lookup(`tasks.${name}`).catch(() => []);
      return ips.length ? ips[Math.floor(Math.random() * ips.length)] : undefined;
    }
    return (await serviceExists(name)) ? name : undefined;
  }

  return async function proxy(req: IncomingMessage, res: ServerResponse, name: string, params: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (!PROXIED_METHODS.includes(method)) return send(res, 405);
    const host = await resolve(name);
    if (!host) return send(res, 404, `Cannot find service: ${name}.\n`, { 'X-Content-Type-Options': 'nosniff' });

    const query = new URL(req.url ?? '/', 'http://p').search;
    await pipeUpstream(req, res, {
      host,
      port,
      path: `/${params}${query}`,
      headers: forwardedHeaders(req, NOT_FORWARDED),
      timeoutMs: o.proxyTimeoutMs ?? 8000,
      responseHeaders: (ur) => ({
        ...headersWithout(ur.headers, NOT_RETURNED),
        'content-type': ur.headers['content-type'] ?? req.headers['content-type'] ?? 'text/plain',
      }),
      unreachable: { status: 500, body: `Can't reach service for: ${name}.\n`, headers: { 'X-Content-Type-Options': 'nosniff' } },
    });
  };
}
