import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { RegistryClient } from './client.ts';

export interface LocalRegistry {
  address: string;
  client: RegistryClient;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface LocalRegistryOptions {
  port?: number;
  /** htpasswd file (bcrypt), or the distribution token protocol with a token service's realm and signing certificate. */
  auth?: { htpasswd: string } | { token: { realm: string; service: string; issuer: string; rootCertBundle: string } };
  tls?: { cert: string; key: string; ca: string };
}

function authConfig(auth: LocalRegistryOptions['auth']): string[] {
  if (!auth) return [];
  if ('htpasswd' in auth) return ['auth:', `  htpasswd: {realm: edgefaas, path: ${JSON.stringify(auth.htpasswd)}}`];
  const t = auth.token;
  return ['auth:', `  token: {realm: ${JSON.stringify(t.realm)}, service: ${JSON.stringify(t.service)}, issuer: ${JSON.stringify(t.issuer)}, rootcertbundle: ${JSON.stringify(t.rootCertBundle)}}`];
}

/**
 * Runs Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its own config and storage,
 * for tests, benchmarks and a control machine without a cluster registry. No auth unless asked: loopback only.
 */
export async function startLocalRegistry(storageDir: string, portOrOptions?: number | LocalRegistryOptions): Promise<LocalRegistry> {
  const o: LocalRegistryOptions = typeof portOrOptions === 'number' ? { port: portOrOptions } : (portOrOptions ?? {});
  const p = o.port ?? (await freePort());
  await fs.mkdir(storageDir, { recursive: true });
  const config = join(storageDir, 'config.yml');
  await fs.writeFile(
    config,
    [
      'version: 0.1',
      'log: {level: error}',
      'storage:',
      `  filesystem: {rootdirectory: ${JSON.stringify(join(storageDir, 'data'))}}`,
      '  delete: {enabled: true}',
      `http: {addr: "127.0.0.1:${p}"${o.tls ? `, tls: {certificate: ${JSON.stringify(o.tls.cert)}, key: ${JSON.stringify(o.tls.key)}}` : ''}}`,
      ...authConfig(o.auth),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`docker-registry did not start (${e.message}); run: apt-get install docker-registry`))),
  );
  const address = `127.0.0.1:${p}`;
  const ca = o.tls ? await fs.readFile(o.tls.ca, 'utf8') : undefined;
  const client = new RegistryClient({ address, ...(o.tls ? { tls: 'verify' as const, ca } : {}) });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode} on ${address}: ${stderr.trim()}`);
    const up = await Promise.race([client.ping().catch(() => false), spawnError]);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`docker-registry did not answer on ${address} within 15 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    client,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
