import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import { gatewayPasswordFile, storeGatewayPassword } from './credentials.ts';
import { gatewayFor } from './target.ts';

/** Two gateways on this machine: the cluster's own and another; each records the Authorization it got. */
describe('the cluster password goes only to the cluster gateway', () => {
  const seen = new Map<number, Array<string | undefined>>();
  const servers: Server[] = [];
  let home: string;
  let own: number;
  let other: number;
  const listen = async () => {
    const s = createServer((req, res) => {
      const port = (s.address() as AddressInfo).port;
      seen.set(port, [...(seen.get(port) ?? []), req.headers.authorization]);
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'edgefaas-creds-'));
    own = await listen();
    other = await listen();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await rm(home, { recursive: true, force: true });
  });

  it('sends basic auth to the gateway cluster.yaml names and nothing to any other URL', async () => {
    const spec = ClusterSpec.parse({ name: 'credtest', nodes: [{ name: 'pi-1', address: '127.0.0.1', role: 'manager' }], gateway: { port: own } });
    const env = { EDGEFAAS_HOME: home };
    await storeGatewayPassword(gatewayPasswordFile(spec, env), 'cluster-admin-password');
    // The same gateway written the way OPENFAAS_URL or a stack.yml may write it.
    await (await gatewayFor(`HTTP://127.0.0.1:${own}/`, spec, env)).listFunctions();
    await (await gatewayFor(`http://127.0.0.1:${other}`, spec, env)).listFunctions();
    await (await gatewayFor(`http://localhost:${own}`, spec, env)).listFunctions();
    const basic = `Basic ${Buffer.from('admin:cluster-admin-password').toString('base64')}`;
    expect(seen.get(own)).toEqual([basic, undefined]);
    expect(seen.get(other)).toEqual([undefined]);
  });

  it('uses $OPENFAAS_PASSWORD, which the user gives for the URL they chose', async () => {
    const spec = ClusterSpec.parse({ name: 'credtest', nodes: [{ name: 'pi-1', address: '127.0.0.1', role: 'manager' }], gateway: { port: own } });
    seen.clear();
    await (await gatewayFor(`http://127.0.0.1:${other}`, spec, { EDGEFAAS_HOME: home, OPENFAAS_PASSWORD: 'users-own' })).listFunctions();
    expect(seen.get(other)).toEqual([`Basic ${Buffer.from('admin:users-own').toString('base64')}`]);
  });
});
