import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startStandin } from './main.ts';

const open: Array<{ close(cb: () => void): unknown }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function providerStub(): Promise<string> {
  const s = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end());
  open.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

describe('stand-in faas-swarm start', () => {
  it('exits when the Docker daemon refuses its DOCKER_API_VERSION, as faas-swarm 0.9.0 does on Engine 29', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefaas-dockersock-'));
    const sock = join(dir, 'docker.sock');
    const daemon = createServer((_req, res) => res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"message":"client version 1.30 is too old. Minimum supported API version is 1.44"}'));
    open.push(daemon);
    await new Promise<void>((r) => daemon.listen(sock, r));
    await expect(startStandin({ DOCKER_SOCKET: sock, DOCKER_API_VERSION: '1.30' }, { http: await freePort(), metrics: await freePort() })).rejects.toThrow(
      'Error with Docker server: client version 1.30 is too old. Minimum supported API version is 1.44',
    );
    await rm(dir, { recursive: true, force: true });
  });
});

describe('stand-in gateway start', () => {
  it('exits with NATS\'s error when faas_nats_address and faas_nats_port are set and nothing answers there', async () => {
    const env = { functions_provider_url: await providerStub(), faas_nats_address: '127.0.0.1', faas_nats_port: String(await freePort()) };
    await expect(startStandin(env, { http: await freePort(), metrics: await freePort() })).rejects.toThrow(/^nats: no servers available for connection$/);
  });

  it('refuses to pretend async works when something answers as NATS (it has no NATS Streaming client)', async () => {
    const fake = createTcpServer((c) => c.end());
    open.push(fake);
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const env = { functions_provider_url: await providerStub(), faas_nats_address: '127.0.0.1', faas_nats_port: String((fake.address() as AddressInfo).port) };
    await expect(startStandin(env, { http: await freePort(), metrics: await freePort() })).rejects.toThrow(/no NATS Streaming client/);
  });

  it('starts without NATS settings (one of the two is not enough) and answers /async-function with 404', async () => {
    const port = await freePort();
    const servers: Server[] = await startStandin({ functions_provider_url: await providerStub(), faas_nats_address: 'nats' }, { http: port, metrics: await freePort() });
    open.push(...servers);
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const r = await fetch(`http://127.0.0.1:${port}/async-function/classify`, { method: 'POST', body: 'x' });
    expect([r.status, await r.text()]).toEqual([404, '404 page not found\n']);
  });
});
