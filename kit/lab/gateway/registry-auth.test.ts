import { describe, expect, it } from 'vitest';
import { localServers } from '../../../test/support/local-servers.ts';
import type { DockerApi } from './docker-api.ts';
import { createProvider } from './provider.ts';

const { listenUrl } = localServers();

/** The provider over a scripted Docker API that records each call with its headers. */
async function providerWith(services: Record<string, unknown> = {}) {
  const calls: Array<{ method: string; path: string; headers: Record<string, string>; body: any }> = [];
  const docker: DockerApi = {
    async call(method, path, body, headers) {
      calls.push({ method, path, headers: headers ?? {}, body });
      if (path === '/networks?filters=' + encodeURIComponent(JSON.stringify({ label: ['openfaas=true'] }))) return { status: 200, json: [{ Name: 'func_functions' }] as never, text: '' };
      const m = /^\/services\/([^/?]+)(\?.*)?$/.exec(path);
      if (method === 'GET' && m && m[1] !== 'create') return services[m[1]!] ? { status: 200, json: services[m[1]!] as never, text: '' } : { status: 404, json: undefined as never, text: '' };
      if (method === 'GET') return { status: 200, json: [] as never, text: '[]' };
      return { status: 201, json: {} as never, text: '{}' };
    },
  };
  const handle = createProvider({ docker });
  const url = await listenUrl((req, res) => void handle(req, res, new URL(req.url!, 'http://x').pathname));
  return { url, calls };
}

const auth = Buffer.from('ci:s3cret').toString('base64');
const image = `10.0.0.2:5000/edgefaas/function:abc@sha256:${'c'.repeat(64)}`;

describe('stand-in provider: registryAuth as faas-swarm 0.9.0 passes it to Docker', () => {
  it("creates the service with X-Registry-Auth for the image's registry, so every node pulls with it", async () => {
    const p = await providerWith();
    const r = await fetch(`${p.url}/system/functions`, { method: 'POST', body: JSON.stringify({ service: 'classify', image, registryAuth: auth }) });
    expect(r.status).toBe(202);
    const create = p.calls.find((c) => c.path === '/services/create')!;
    expect(JSON.parse(Buffer.from(create.headers['X-Registry-Auth']!, 'base64url').toString())).toEqual({ username: 'ci', password: 's3cret', serveraddress: '10.0.0.2:5000' });
    expect(create.body.TaskTemplate.ContainerSpec.Image).toBe(image);
  });

  it('encodes X-Registry-Auth as Docker decodes it: URL-safe base64 with its padding, whatever the length', async () => {
    // {"username":"ci","password":"s3cret","serveraddress":"10.0.0.22:5000"} is 70 bytes: its base64 needs padding.
    const p = await providerWith();
    const other = `10.0.0.22:5000/edgefaas/function:abc@sha256:${'c'.repeat(64)}`;
    expect((await fetch(`${p.url}/system/functions`, { method: 'POST', body: JSON.stringify({ service: 'classify', image: other, registryAuth: auth }) })).status).toBe(202);
    const header = p.calls.find((c) => c.path === '/services/create')!.headers['X-Registry-Auth']!;
    const json = JSON.stringify({ username: 'ci', password: 's3cret', serveraddress: '10.0.0.22:5000' });
    expect(header).toBe(Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'));
    expect(header.length % 4).toBe(0);
  });

  it('updates with the new credentials, and takes them from the spec when none are sent', async () => {
    const p = await providerWith({ classify: { ID: 'svc1', Version: { Index: 7 }, Spec: { Name: 'classify', Labels: { function: 'true' }, TaskTemplate: { ContainerSpec: { Image: 'old' } }, Mode: { Replicated: { Replicas: 1 } } } } });
    expect((await fetch(`${p.url}/system/functions`, { method: 'PUT', body: JSON.stringify({ service: 'classify', image, registryAuth: auth }) })).status).toBe(202);
    const update = p.calls.find((c) => c.path.startsWith('/services/svc1/update'))!;
    expect(update.path).toBe('/services/svc1/update?version=7&registryAuthFrom=spec');
    expect(update.headers['X-Registry-Auth']).toBeDefined();
    expect((await fetch(`${p.url}/system/functions`, { method: 'PUT', body: JSON.stringify({ service: 'classify', image }) })).status).toBe(202);
    expect(p.calls.filter((c) => c.path.startsWith('/services/svc1/update'))[1]!.headers).toEqual({});
  });

  it('refuses a registryAuth that is not base64 user:password with 400 Invalid registry auth, creating nothing', async () => {
    const p = await providerWith();
    for (const bad of ['not base64!', Buffer.from('no-colon').toString('base64')]) {
      const r = await fetch(`${p.url}/system/functions`, { method: 'POST', body: JSON.stringify({ service: 'classify', image, registryAuth: bad }) });
      expect([r.status, await r.text()]).toEqual([400, 'Invalid registry auth']);
    }
    expect(p.calls.some((c) => c.path === '/services/create')).toBe(false);
  });
});
