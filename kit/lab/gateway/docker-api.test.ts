import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerApi } from './docker-api.ts';

describe('the stand-in provider\'s Docker API client', () => {
  it('pins DOCKER_API_VERSION as the Docker Go client does, so a daemon that refuses that version refuses the stand-in too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefaas-dockersock-'));
    const sock = join(dir, 'docker.sock');
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url!);
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"message":"client version 1.30 is too old. Minimum supported API version is 1.44"}');
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const r = await dockerApi(sock, '1.30').call('GET', '/services');
      expect(seen).toEqual(['/v1.30/services']);
      expect(r.status).toBe(400);
      await dockerApi(sock).call('GET', '/services');
      expect(seen[1]).toBe('/services');
    } finally {
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
