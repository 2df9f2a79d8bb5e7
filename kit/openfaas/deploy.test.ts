import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../gateway/client.ts';
import { deployStack, sameImage } from './deploy.ts';
import { parseStack } from './stack.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const D = `sha256:${'d'.repeat(64)}`;

/** A gateway that records deployments and reports images as faas-swarm does: without the digest. */
async function gateway() {
  const bodies: any[] = [];
  let deployed: any;
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/system/functions' && (req.method === 'PUT' || req.method === 'POST')) {
        deployed = JSON.parse(Buffer.concat(chunks).toString());
        bodies.push({ method: req.method, ...deployed });
        return res.writeHead(req.method === 'PUT' ? 404 : 202).end();
      }
      if (req.url === '/system/function/classify' && deployed) {
        return res.end(JSON.stringify({ name: 'classify', image: deployed.image.replace(/@sha256:[0-9a-f]+$/, ''), replicas: 1, availableReplicas: 1, invocationCount: 0, envProcess: '', labels: {}, annotations: null }));
      }
      res.writeHead(404).end();
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { client: new GatewayClient({ baseUrl: `http://127.0.0.1:${(s.address() as AddressInfo).port}` }), bodies };
}

describe('deploy pins the image by digest and sends the registry credentials', () => {
  it('sends name:tag@digest and registryAuth, then waits on the name the provider reports back', async () => {
    const gw = await gateway();
    const stack = parseStack('provider: {name: openfaas}\nfunctions:\n  classify:\n    image: r.lan:5443/edgefaas/function:abc\n', { env: {} });
    const seen: string[] = [];
    const out = await deployStack({
      stack,
      gateway: gw.client,
      pollMs: 10,
      waitTimeoutMs: 5000,
      resolveImage: async (image) => (seen.push(image), { image: `${image}@${D}`, registryAuth: Buffer.from('ci:pw').toString('base64') }),
    });
    expect(seen).toEqual(['r.lan:5443/edgefaas/function:abc']);
    expect(gw.bodies.map((b) => [b.method, b.image, b.registryAuth])).toEqual([
      ['PUT', `r.lan:5443/edgefaas/function:abc@${D}`, 'Y2k6cHc='],
      ['POST', `r.lan:5443/edgefaas/function:abc@${D}`, 'Y2k6cHc='],
    ]);
    expect(out[0]).toMatchObject({ name: 'classify', outcome: 'created', image: `r.lan:5443/edgefaas/function:abc@${D}`, availableReplicas: 1 });
  });

  it('compares a reported image with the deployed one by digest when the provider keeps it, by name when it drops it', () => {
    expect(sameImage('r/x:1', `r/x:1@${D}`)).toBe(true);
    expect(sameImage('r/x:2', `r/x:1@${D}`)).toBe(false);
    expect(sameImage(`r/x:1@sha256:${'e'.repeat(64)}`, `r/x:1@${D}`)).toBe(false);
  });
});
