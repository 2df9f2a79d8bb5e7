import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerApi, dockerMessage } from './docker-api.ts';

let server: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A daemon with Docker 29's floor: versioned paths below 1.44 get its 400, as dockerd answers them. */
async function daemonWithFloor(): Promise<{ socket: string; seen: string[] }> {
  dir = await mkdtemp(join(tmpdir(), 'edgefaas-docker-api-'));
  const socket = join(dir, 'docker.sock');
  const seen: string[] = [];
  server = createServer((req, res) => {
    seen.push(req.url!);
    const v = /^\/v(\d+)\.(\d+)\//.exec(req.url!);
    if (v && (Number(v[1]) < 1 || Number(v[2]) < 44)) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ message: `client version ${v[1]}.${v[2]} is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version` }));
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]');
  });
  await new Promise<void>((r) => server!.listen(socket, r));
  return { socket, seen };
}

describe("the stand-in provider's Docker client", () => {
  it('sends DOCKER_API_VERSION in the path, so a daemon with a higher floor refuses it as it refuses faas-swarm', async () => {
    const d = await daemonWithFloor();
    const old = await dockerApi(d.socket, '1.30').call('GET', '/services');
    expect(old.status).toBe(400);
    expect(dockerMessage(old)).toBe('client version 1.30 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version');
    expect((await dockerApi(d.socket, '1.44').call('GET', '/services')).status).toBe(200);
    expect(d.seen).toEqual(['/v1.30/services', '/v1.44/services']);
  });
});
