import { execFile } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForRegistryStep } from './registry.ts';

/** The step's shell command as a node's sh runs it; its exit code. */
function runStep(port: number): Promise<number> {
  const step = waitForRegistryStep('127.0.0.1', port, 2);
  return new Promise((done) => execFile('sh', ['-c', step.command], { timeout: step.timeoutMs }, (err) => done(err ? (typeof err.code === 'number' ? err.code : 1) : 0)));
}

const servers: Server[] = [];
const listen = (s: Server) => new Promise<number>((ok) => (servers.push(s), s.listen(0, '127.0.0.1', () => ok((s.address() as { port: number }).port))));

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('waiting for the LAN registry', () => {
  it('is done once the registry answers HTTP, whatever the status (401 with basic auth on)', async () => {
    const port = await listen(createHttpServer((_req, res) => res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="edgefaas"' }).end()));
    expect(await runStep(port)).toBe(0);
  });

  it("is not done while only Docker's userland proxy accepts (it closes the connection: nothing behind it yet)", async () => {
    const port = await listen(createServer((c) => c.destroy()));
    expect(await runStep(port)).toBe(1);
  });

  it('names the address the nodes pull from', () => {
    expect(waitForRegistryStep('10.0.0.11', 5000).title).toBe('wait for the registry to answer on 10.0.0.11:5000');
    expect(waitForRegistryStep('fd00::11', 5000).title).toBe('wait for the registry to answer on [fd00::11]:5000');
  });
});
