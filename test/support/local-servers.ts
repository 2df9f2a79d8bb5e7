import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** HTTP servers on loopback for unit tests, each closed after its test. */
export function localServers() {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  /** Starts a server; resolves with its port. */
  async function listen(handler: Handler): Promise<number> {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  }
  /** Starts a server; resolves with its base URL (no trailing slash). */
  async function listenUrl(handler: Handler): Promise<string> {
    return `http://127.0.0.1:${await listen(handler)}`;
  }
  return { servers, listen, listenUrl };
}
