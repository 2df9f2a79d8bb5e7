import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createGateway } from './gateway.ts';
import { readBody } from './http.ts';
import { localServers } from '../../../test/support/local-servers.ts';

const { servers, listen } = localServers();

interface Fn { name: string; image: string; invocationCount: number; replicas: number; availableReplicas: number; envProcess: string; labels: Record<string, string>; annotations: null }
const fn = (name: string, replicas = 1): Fn => ({ name, image: 'r/x:1', invocationCount: 0, replicas, availableReplicas: replicas, envProcess: '', labels: { 'com.openfaas.scale.min': '2' }, annotations: null });

/** A provider scripted with the functions it knows; records what the gateway asked. */
async function provider(fns: Fn[]) {
  const seen: string[] = [];
  const port = await listen(async (req, res) => {
    const body = (await readBody(req)).toString();
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'} ${body}`);
    const m = /^\/system\/function\/(.+)$/.exec(req.url!);
    const s = /^\/system\/scale-function\/(.+)$/.exec(req.url!);
    if (req.url === '/healthz') return res.end();
    if (req.url === '/system/functions' && req.method === 'GET') return res.end(JSON.stringify(fns));
    if (m) {
      const f = fns.find((x) => x.name === m[1]);
      if (!f) return res.writeHead(404).end();
      return res.end(JSON.stringify(f));
    }
    if (s) {
      const f = fns.find((x) => x.name === s[1])!;
      f.replicas = f.availableReplicas = JSON.parse(body).replicas;
      return res.writeHead(202).end();
    }
    res.writeHead(404).end();
  });
  return { url: `http://127.0.0.1:${port}`, seen };
}

const creds = { user: 'admin', password: 'pw-0123456789' };
const basic = `Basic ${Buffer.from('admin:pw-0123456789').toString('base64')}`;

async function gateway(providerUrl: string, upstreamPort = 1, extra: Partial<Parameters<typeof createGateway>[0]> = {}) {
  const gw = createGateway({ providerUrl, creds, direct: true, upstreamTimeoutMs: 2000, arch: 'x86_64', upstream: () => ({ host: '127.0.0.1', port: upstreamPort }), pollMs: 5, ...extra });
  const port = await listen((req, res) => void gw.handle(req, res));
  const metrics = await listen((req, res) => void gw.metrics(req, res));
  return { url: `http://127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metrics}/metrics` };
}

describe('stand-in gateway', () => {
  it('answers /healthz without auth and refuses /system without it, as the gateway does', async () => {
    const gw = await gateway((await provider([])).url);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const r = await fetch(`${gw.url}/system/functions`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="Restricted"');
    expect(await r.text()).toBe('invalid credentials');
    const wrong = await fetch(`${gw.url}/system/functions`, { headers: { Authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${gw.url}/ui/`)).status).toBe(401);
  });

  it('answers unknown paths 404 with Go mux text and wrong methods 405', async () => {
    const gw = await gateway((await provider([])).url);
    const r = await fetch(`${gw.url}/nope`);
    expect([r.status, await r.text()]).toEqual([404, '404 page not found\n']);
    expect((await fetch(`${gw.url}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${gw.url}/system/namespaces`, { headers: { Authorization: basic } })).status).toBe(200);
  });

  it('lists functions from the provider with its own invocation counts', async () => {
    const p = await provider([fn('echo')]);
    const up = await listen((_req, res) => res.end('hi'));
    const gw = await gateway(p.url, up);
    await fetch(`${gw.url}/function/echo`, { method: 'POST', body: 'x' });
    const list = await (await fetch(`${gw.url}/system/functions`, { headers: { Authorization: basic } })).json();
    expect(list).toEqual([{ ...fn('echo'), invocationCount: 1 }]);
    expect(p.seen.some((s) => s.startsWith(`GET /system/functions ${basic}`))).toBe(true);
  });

  it('says which function it could not find, uncounted', async () => {
    const gw = await gateway((await provider([])).url);
    const r = await fetch(`${gw.url}/function/missing`, { method: 'POST' });
    expect([r.status, await r.text()]).toEqual([404, 'error finding function missing.: server returned non-200 status code (404) for function, missing']);
    expect(await (await fetch(gw.metricsUrl)).text()).not.toContain('function_name="missing"');
  });

  it('forwards method, path, query, body and headers, and returns the answer verbatim', async () => {
    let got: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {};
    const up = await listen(async (req, res) => {
      got = { method: req.method, url: req.url, headers: req.headers, body: (await readBody(req)).toString() };
      res.writeHead(418, { 'X-Duration-Seconds': '0.001000', 'Content-Type': 'application/json' }).end('{"tea":true}');
    });
    const gw = await gateway((await provider([fn('classify')])).url, up);
    const r = await fetch(`${gw.url}/function/classify/sub/path?x=1`, { method: 'PUT', body: 'cat-bytes', headers: { 'X-Custom': 'yes', 'Proxy-Authorization': 'Basic eHh4' } });
    expect(r.status).toBe(418);
    expect(await r.text()).toBe('{"tea":true}');
    expect(r.headers.get('x-duration-seconds')).toBe('0.001000');
    expect(r.headers.get('x-call-id')).toBeNull();
    expect(got.method).toBe('PUT');
    expect(got.url).toBe('/sub/path?x=1');
    expect(got.body).toBe('cat-bytes');
    expect(got.headers!['x-custom']).toBe('yes');
    expect(got.headers!['proxy-authorization']).toBeUndefined();
    expect(got.headers!['x-call-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.headers!['x-forwarded-for']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(got.headers!['x-forwarded-host']).toBe(new URL(gw.url).host);
    expect(Number(got.headers!['x-start-time'])).toBeGreaterThan(Date.now() * 1e6 - 60e9);
  });

  it('keeps a caller-set X-Call-Id', async () => {
    let id: string | undefined;
    const up = await listen((req, res) => {
      id = req.headers['x-call-id'] as string;
      res.end();
    });
    const gw = await gateway((await provider([fn('a')])).url, up);
    await fetch(`${gw.url}/function/a`, { headers: { 'X-Call-Id': 'mine' } });
    expect(id).toBe('mine');
  });

  it('answers 502 with no body when the function is unreachable, and counts it', async () => {
    const closed = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const gw = await gateway((await provider([fn('down')])).url, closed);
    const r = await fetch(`${gw.url}/function/down`, { method: 'POST' });
    expect([r.status, await r.text()]).toEqual([502, '']);
    expect(await (await fetch(gw.metricsUrl)).text()).toContain('gateway_function_invocation_total{function_name="down",code="502"} 1');
  });

  it('answers 502 past upstream_timeout', async () => {
    const slow = await listen((_req, res) => setTimeout(() => res.end('late'), 1500));
    const gw = await gateway((await provider([fn('slow')])).url, slow, { upstreamTimeoutMs: 300 });
    expect((await fetch(`${gw.url}/function/slow`)).status).toBe(502);
  });

  it('scales a function from zero to its scale.min before forwarding', async () => {
    const p = await provider([fn('cold', 0)]);
    const up = await listen((_req, res) => res.end('warm now'));
    const gw = await gateway(p.url, up);
    const r = await fetch(`${gw.url}/function/cold`, { method: 'POST' });
    expect(await r.text()).toBe('warm now');
    expect(p.seen).toContain(`POST /system/scale-function/cold ${basic} {"serviceName":"cold","replicas":2}`);
  });

  it('exposes the gateway metric names', async () => {
    const up = await listen((_req, res) => res.end('ok'));
    const gw = await gateway((await provider([fn('m')])).url, up);
    await fetch(`${gw.url}/function/m`, { method: 'POST' });
    const text = await (await fetch(gw.metricsUrl)).text();
    expect(text).toContain('gateway_function_invocation_total{function_name="m",code="200"} 1');
    expect(text).toContain('gateway_function_invocation_started{function_name="m"} 1');
    expect(text).toContain('gateway_functions_seconds_count{function_name="m"} 1');
    expect(text).toContain('gateway_service_count{function_name="m"} 1');
    expect(text).toMatch(/http_requests_total\{code="200",method="POST"\} \d/);
  });

  it('has no async routes without NATS: 404 with Go mux text, as the real gateway answers', async () => {
    const gw = await gateway((await provider([fn('a')])).url);
    const r = await fetch(`${gw.url}/async-function/a`, { method: 'POST', body: 'x' });
    expect([r.status, await r.text()]).toEqual([404, '404 page not found\n']);
  });

  it('answers /healthz from the provider, with the gateway credentials, and 502 when the provider is down', async () => {
    const p = await provider([]);
    const gw = await gateway(p.url);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(p.seen).toContain(`GET /healthz ${basic} `);
    const closed = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const orphan = await gateway(`http://127.0.0.1:${closed}`);
    const r = await fetch(`${orphan.url}/healthz`);
    expect([r.status, await r.text()]).toEqual([502, '']);
  });

  it('with direct_functions=false sends /function/NAME/path?q to the provider, unauthenticated, and passes its answer on', async () => {
    const p = await provider([fn('classify')]);
    const gw = await gateway(p.url, 1, { direct: false });
    const r = await fetch(`${gw.url}/function/classify/sub?x=1`, { method: 'POST', body: 'cat' });
    expect(r.status).toBe(404); // the scripted provider knows no /function route
    expect(p.seen).toContain('POST /function/classify/sub?x=1 - cat');
  });

  it('re-sends the body chunked, without Content-Length, as Go does', async () => {
    let seen: IncomingMessage['headers'] = {};
    const up = await listen(async (req, res) => {
      seen = req.headers;
      await readBody(req);
      res.end('ok');
    });
    const gw = await gateway((await provider([fn('c')])).url, up);
    await fetch(`${gw.url}/function/c`, { method: 'POST', body: 'x'.repeat(100), headers: { 'Content-Length': '100' } });
    expect(seen['content-length']).toBeUndefined();
    expect(seen['transfer-encoding']).toBe('chunked');
  });

  it('waits without scaling when replicas are wanted but none is available yet', async () => {
    const starting = { ...fn('slowstart', 1), availableReplicas: 0 };
    const p = await provider([starting]);
    const up = await listen((_req, res) => res.end('up'));
    const gw = await gateway(p.url, up, { pollTries: 3 });
    const r = await fetch(`${gw.url}/function/slowstart`, { method: 'POST' });
    expect(await r.text()).toBe('up'); // forwarded anyway once the polls run out
    expect(p.seen.some((s) => s.startsWith('POST /system/scale-function/'))).toBe(false);
    expect(p.seen.filter((s) => s.startsWith('GET /system/function/slowstart')).length).toBe(4);
  });
});
