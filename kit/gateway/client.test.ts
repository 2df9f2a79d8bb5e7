import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient, normaliseGatewayUrl } from './client.ts';
import { FunctionNotFoundError, GatewayAuthError, GatewayError, GatewayUnreachableError } from './errors.ts';

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  body: string;
  headers: IncomingMessage['headers'];
}
type Script = Record<string, { status: number; body?: string; headers?: Record<string, string> }>;

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A fake gateway: answers "METHOD /path" from the script, 404 otherwise, and records requests. */
async function fakeGateway(script: Script): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, auth: req.headers.authorization, body: Buffer.concat(chunks).toString(), headers: req.headers });
      const hit = script[`${req.method} ${req.url}`];
      res.writeHead(hit?.status ?? 404, hit?.headers ?? {});
      res.end(hit ? (hit.body ?? '') : '404 page not found');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

const auth = { username: 'admin', password: 's3cret' };
const basic = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;

describe('GatewayClient', () => {
  it('normalises the gateway URL as faas-cli does', () => {
    expect(normaliseGatewayUrl('GW.local:8080/')).toBe('http://gw.local:8080');
    expect(normaliseGatewayUrl('https://x:31112')).toBe('https://x:31112');
  });

  it('lists functions with basic auth', async () => {
    const fns = [{ name: 'classify', image: 'r/c:1', invocationCount: 3, replicas: 1, availableReplicas: 0, labels: {}, annotations: null }];
    const gw = await fakeGateway({ 'GET /system/functions': { status: 200, body: JSON.stringify(fns) } });
    const client = new GatewayClient({ baseUrl: gw.url, auth });
    expect(await client.listFunctions()).toEqual(fns);
    expect(gw.seen[0]!.auth).toBe(basic);
  });

  it('maps 401 to an auth error naming the user and what to run next', async () => {
    const gw = await fakeGateway({ 'GET /system/functions': { status: 401, body: 'invalid credentials' } });
    const err = await new GatewayClient({ baseUrl: gw.url, auth }).listFunctions().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayAuthError);
    expect((err as Error).message).toMatch(/refused the password for user admin \(401\).*run: edgefaas status/);
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('checks health without sending credentials', async () => {
    const gw = await fakeGateway({ 'GET /healthz': { status: 200 } });
    expect(await new GatewayClient({ baseUrl: gw.url, auth }).healthz()).toBe(true);
    expect(gw.seen[0]!.auth).toBeUndefined();
  });

  it('reports an unhealthy gateway as false', async () => {
    const gw = await fakeGateway({ 'GET /healthz': { status: 503 } });
    expect(await new GatewayClient({ baseUrl: gw.url }).healthz()).toBe(false);
  });

  it('deploys with PUT and falls back to POST on 404, as faas-cli does', async () => {
    const gw = await fakeGateway({ 'POST /system/functions': { status: 202 } });
    const fd = { service: 'classify', image: '10.0.0.1:5000/classify:1', labels: {}, annotations: {} };
    expect(await new GatewayClient({ baseUrl: gw.url, auth }).deployFunction(fd)).toBe('created');
    expect(gw.seen.map((s) => s.method)).toEqual(['PUT', 'POST']);
    expect(JSON.parse(gw.seen[1]!.body)).toEqual(fd);
    expect(gw.seen[1]!.headers['content-type']).toBe('application/json');
  });

  it('deploys an existing function with PUT only', async () => {
    const gw = await fakeGateway({ 'PUT /system/functions': { status: 202 } });
    expect(await new GatewayClient({ baseUrl: gw.url, auth }).deployFunction({ service: 'a', image: 'b' })).toBe('updated');
    expect(gw.seen).toHaveLength(1);
  });

  it('passes the provider refusal text through on 400', async () => {
    const gw = await fakeGateway({
      'POST /system/functions': { status: 400, body: 'Deployment error: secret not found: db; possible choices:\n[]' },
    });
    const err = await new GatewayClient({ baseUrl: gw.url, auth }).createFunction({ service: 'a', image: 'b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect((err as Error).message).toContain('answered 400 while deploying a: Deployment error: secret not found: db');
  });

  it('maps 404 on a named function to FunctionNotFoundError', async () => {
    const gw = await fakeGateway({ 'GET /system/function/nope': { status: 404 } });
    const err = await new GatewayClient({ baseUrl: gw.url, auth }).getFunction('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FunctionNotFoundError);
    expect((err as Error).message).toBe(`function nope not found at ${gw.url}; run: edgefaas deploy`);
  });

  it('deletes and scales with the provider bodies, accepting 202', async () => {
    const gw = await fakeGateway({ 'DELETE /system/functions': { status: 202 }, 'POST /system/scale-function/a': { status: 202 } });
    const client = new GatewayClient({ baseUrl: gw.url, auth });
    await client.deleteFunction('a');
    await client.scaleFunction('a', 3);
    expect(JSON.parse(gw.seen[0]!.body)).toEqual({ functionName: 'a' });
    expect(JSON.parse(gw.seen[1]!.body)).toEqual({ serviceName: 'a', replicas: 3 });
  });

  it('maps DELETE of an unknown function to FunctionNotFoundError', async () => {
    const gw = await fakeGateway({ 'DELETE /system/functions': { status: 404, body: 'No such service found: a.' } });
    await expect(new GatewayClient({ baseUrl: gw.url, auth }).deleteFunction('a')).rejects.toBeInstanceOf(FunctionNotFoundError);
  });

  it('invokes a function with the raw body and returns its own status', async () => {
    const gw = await fakeGateway({ 'POST /function/classify': { status: 400, body: '{"error":"not an image"}' } });
    const res = await new GatewayClient({ baseUrl: gw.url, auth }).invoke('classify', Buffer.from([1, 2, 3]));
    expect(res.status).toBe(400);
    expect(res.body.toString()).toBe('{"error":"not an image"}');
    expect(gw.seen[0]!.body).toBe('\u0001\u0002\u0003');
    expect(gw.seen[0]!.auth).toBeUndefined();
  });

  it('turns the gateway lookup 404 and a 502 into clear errors', async () => {
    const gw = await fakeGateway({
      'POST /function/gone': { status: 404, body: 'error finding function gone.: server returned non-200 status code (404) for function, gone' },
      'POST /function/down': { status: 502 },
    });
    const client = new GatewayClient({ baseUrl: gw.url });
    await expect(client.invoke('gone')).rejects.toBeInstanceOf(FunctionNotFoundError);
    await expect(client.invoke('down')).rejects.toThrow(/function down did not answer .*\(502\); run: edgefaas status/);
  });

  it('queues an async call and returns its call id', async () => {
    const gw = await fakeGateway({ 'POST /async-function/a': { status: 202, headers: { 'X-Call-Id': 'abc' } } });
    expect(await new GatewayClient({ baseUrl: gw.url }).invokeAsync('a', 'x', 'http://cb/')).toBe('abc');
    expect(gw.seen[0]!.headers['x-callback-url']).toBe('http://cb/');
  });

  it('says the gateway is unreachable, with the command to run next', async () => {
    const gw = await fakeGateway({});
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const err = await new GatewayClient({ baseUrl: gw.url }).info().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayUnreachableError);
    expect((err as Error).message).toMatch(/^gateway http:\/\/127\.0\.0\.1:\d+ unreachable \(GET \/system\/info: .*ECONNREFUSED.*\); run: edgefaas status$/);
  });

  it('logs requests for debugging without the Authorization header', async () => {
    const gw = await fakeGateway({ 'GET /system/info': { status: 200, body: '{"arch":"x86_64"}' } });
    const lines: string[] = [];
    await new GatewayClient({ baseUrl: gw.url, auth, debug: (l) => lines.push(l) }).info();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/system\/info -> 200/);
    expect(lines.join()).not.toMatch(/s3cret|Basic/);
  });
});
