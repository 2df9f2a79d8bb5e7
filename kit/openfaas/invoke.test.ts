import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../gateway/client.ts';
import { InvokeError, invokeAsyncWithPhoto, invokeWithPhoto } from './invoke.ts';

let server: Server | undefined;
let dir: string;
let photo: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgefaas-invoke-'));
  photo = join(dir, 'dog.jpg');
  await writeFile(photo, 'jpeg-bytes');
});
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A gateway answering each call with the next scripted [status, body]; the last repeats. */
async function gateway(answers: Array<[number, string]>): Promise<{ client: GatewayClient; calls: () => number }> {
  let n = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const [status, body] = answers[Math.min(n++, answers.length - 1)]!;
      res.writeHead(status).end(body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { client: new GatewayClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }), calls: () => n };
}

const ok: [number, string] = [200, JSON.stringify({ model: 'resnet50', predictions: [{ label: 'malamute', score: 0.42 }] })];
const noSleep = async () => {};

describe('invoke through the scale-from-zero window', () => {
  it('retries the 502 a function gets before its task is in DNS, and says so once', async () => {
    const gw = await gateway([[502, ''], [502, ''], ok]);
    const said: string[] = [];
    const a = await invokeWithPhoto(gw.client, 'classify', photo, { log: (l) => said.push(l), sleep: noSleep });
    expect(a.predictions[0]!.label).toBe('malamute');
    expect(gw.calls()).toBe(3);
    expect(said).toEqual(["function classify answered 502 from the gateway: it may have just scaled from zero and not be in Swarm's DNS yet; retrying for up to 30 s"]);
  });

  it("retries faas-swarm's 404 Cannot find service while tasks.NAME does not resolve", async () => {
    const gw = await gateway([[404, 'Cannot find service: classify.\n'], ok]);
    expect((await invokeWithPhoto(gw.client, 'classify', photo, { sleep: noSleep })).model).toBe('resnet50');
  });

  it("does not retry the function's own errors", async () => {
    const gw = await gateway([[500, 'model failed to load'], ok]);
    await expect(invokeWithPhoto(gw.client, 'classify', photo, { sleep: noSleep })).rejects.toThrow(/answered 500 for dog\.jpg: model failed to load/);
    expect(gw.calls()).toBe(1);
  });

  it('gives up after the window, naming the answer', async () => {
    const gw = await gateway([[502, '']]);
    await expect(invokeWithPhoto(gw.client, 'classify', photo, { retryMs: 30, sleep: () => new Promise((r) => setTimeout(r, 10)) })).rejects.toThrow(
      /^function classify at http:\/\/127\.0\.0\.1:\d+ still answered 502 from the gateway after 0 s of retries; run: edgefaas status$/,
    );
  });
});

describe('invoke --async', () => {
  it('explains that async needs NATS when the gateway has no async route', async () => {
    const gw = await gateway([[404, '404 page not found\n']]);
    const err = await invokeAsyncWithPhoto(gw.client, 'classify', photo).catch((e) => e);
    expect(err).toBeInstanceOf(InvokeError);
    expect(err.message).toMatch(/^async calls need NATS: the gateway at http:\/\/127\.0\.0\.1:\d+ has no \/async-function route \(404 page not found\), so this cluster runs without nats and queue-worker; call it synchronously: edgefaas invoke classify /);
  });

  it('returns the call id when the call is queued', async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202, { 'X-Call-Id': 'call-1' }).end());
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const client = new GatewayClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    expect(await invokeAsyncWithPhoto(client, 'classify', photo)).toEqual({ callId: 'call-1' });
  });
});
