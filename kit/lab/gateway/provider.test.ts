import { describe, expect, it } from 'vitest';
import type { DockerApi } from './docker-api.ts';
import { readBody } from './http.ts';
import { localServers } from '../../../test/support/local-servers.ts';
import { createProvider, type ProviderOptions } from './provider.ts';

/** A Docker Engine API scripted with services and tasks; records every write. */
function fakeDocker(services: any[] = [], tasks: any[] = []) {
  const writes: Array<{ method: string; path: string; body: any }> = [];
  const api: DockerApi = {
    async call(method, path, body) {
      const ok = (json: any, status = 200) => ({ status, json, text: JSON.stringify(json) });
      if (method !== 'GET') writes.push({ method, path, body });
      const svc = /^\/services\/([^/?]+)(\?.*)?$/.exec(path);
      if (method === 'GET' && svc) {
        const s = services.find((x) => x.Spec.Name === decodeURIComponent(svc[1]!) || x.ID === svc[1]);
        return s ? ok(structuredClone(s)) : ok({ message: `service ${svc[1]} not found` }, 404);
      }
      if (method === 'GET' && path.startsWith('/services')) {
        const f = /filters=([^&]+)/.exec(path);
        const name = f ? JSON.parse(decodeURIComponent(f[1]!)).name?.[0] : undefined;
        return ok(services.filter((s) => !name || s.Spec.Name.startsWith(name)));
      }
      if (method === 'GET' && path.startsWith('/tasks')) return ok(tasks);
      if (method === 'GET' && path.startsWith('/networks')) return ok([{ Name: 'func_functions' }]);
      if (method === 'GET' && path === '/secrets') return ok([]);
      return ok({}, method === 'POST' && path === '/services/create' ? 201 : 200);
    },
  };
  return { api, writes };
}

const { servers, listen } = localServers();

/** The provider behind a real HTTP server, as the gateway reaches it. */
async function serve(o: ProviderOptions) {
  const handle = createProvider(o);
  const port = await listen(async (req, res) => {
    if (!(await handle(req, res, new URL(req.url!, 'http://p').pathname))) res.writeHead(404).end();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, text: await r.text(), headers: r.headers };
  };
  return { port, call };
}

const service = (name: string, extra: any = {}) => ({
  ID: `id-${name}`,
  Version: { Index: 7 },
  Spec: {
    Name: name,
    Labels: { 'com.openfaas.function': name, function: 'true', 'com.openfaas.annotations.team': 'lab' },
    TaskTemplate: {
      ContainerSpec: { Image: '10.0.0.1:5000/fn:1', Env: ['fprocess=node index.js', 'A=1'], Labels: { 'com.openfaas.function': name, function: 'true' } },
      RestartPolicy: { Condition: 'any', Delay: 5e9, MaxAttempts: 5 },
    },
    Mode: { Replicated: { Replicas: 2 } },
    UpdateConfig: { Parallelism: 1, FailureAction: 'pause', Monitor: 5e9, MaxFailureRatio: 0, Order: 'stop-first' },
    EndpointSpec: { Mode: 'dnsrr' },
    ...extra,
  },
});

describe('stand-in faas-swarm: services as faas-swarm 0.9.0 writes them', () => {
  it('creates in VIP mode with Docker default update/rollback, every label copied onto the container, no uid', async () => {
    const d = fakeDocker();
    const p = await serve({ docker: d.api });
    const r = await p.call('POST', '/system/functions', { service: 'classify', image: 'r/classify:1', envProcess: 'node x', envVars: { a: '1' }, labels: { 'com.openfaas.scale.min': '2' }, annotations: { team: 'lab' } });
    expect(r.status).toBe(202);
    const spec = d.writes[0]!.body;
    expect(d.writes[0]!.path).toBe('/services/create');
    expect(spec.EndpointSpec).toBeUndefined();
    expect(spec.UpdateConfig).toBeUndefined();
    expect(spec.RollbackConfig).toBeUndefined();
    const labels = { 'com.openfaas.function': 'classify', function: 'true', 'com.openfaas.scale.min': '2', 'com.openfaas.annotations.team': 'lab' };
    expect(spec.Labels).toEqual(labels);
    expect(spec.TaskTemplate.ContainerSpec.Labels).toEqual(labels);
    expect(spec.Mode.Replicated.Replicas).toBe(2);
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(['fprocess=node x', 'a=1']);
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: 'func_functions' }]);
  });

  it("writes fprocess first, then envVars in Go's random map order", async () => {
    const d = fakeDocker();
    const p = await serve({ docker: d.api });
    const envVars = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, '1']));
    for (let i = 0; i < 5; i++) await p.call('POST', '/system/functions', { service: `f${i}`, image: 'x', envProcess: 'node x', envVars });
    const envs = d.writes.map((w) => w.body.TaskTemplate.ContainerSpec.Env as string[]);
    expect(envs.every((e) => e[0] === 'fprocess=node x' && [...e].sort().join() === ['a=1', 'b=1', 'c=1', 'd=1', 'e=1', 'f=1', 'fprocess=node x'].join())).toBe(true);
    expect(new Set(envs.map((e) => e.join())).size).toBeGreaterThan(1);
  });

  it('updates with a nanosecond uid on service and container, start-first with rollback, rollback config {pause}, keeping the endpoint mode', async () => {
    const d = fakeDocker([service('classify')]);
    const p = await serve({ docker: d.api, nanos: () => 123456789 });
    const r = await p.call('PUT', '/system/functions', { service: 'classify', image: 'r/classify:2' });
    expect(r.status).toBe(202);
    expect(d.writes[0]!.path).toBe('/services/id-classify/update?version=7&registryAuthFrom=spec');
    const spec = d.writes[0]!.body;
    expect(spec.Labels['com.openfaas.uid']).toBe('123456789');
    expect(spec.TaskTemplate.ContainerSpec.Labels['com.openfaas.uid']).toBe('123456789');
    expect(spec.UpdateConfig).toEqual({ Parallelism: 1, FailureAction: 'rollback', Order: 'start-first' });
    expect(spec.RollbackConfig).toEqual({ FailureAction: 'pause' });
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    // No env sent: the old env stays (updateSpec only sets a non-empty one).
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(['fprocess=node index.js', 'A=1']);
    expect(spec.TaskTemplate.ContainerSpec.Image).toBe('r/classify:2');
    expect(spec.Mode.Replicated.Replicas).toBe(1);
  });

  it('answers PUT of an unknown function 404 and scaling one 500 with the Docker client text', async () => {
    const p = await serve({ docker: fakeDocker().api });
    expect(await p.call('PUT', '/system/functions', { service: 'nope', image: 'x' })).toMatchObject({ status: 404, text: 'Error: No such service: nope' });
    expect(await p.call('POST', '/system/scale-function/nope', { serviceName: 'nope', replicas: 1 })).toMatchObject({ status: 500, text: 'Error: No such service: nope' });
    expect(await p.call('POST', '/system/scale-function/nope', 'not json')).toMatchObject({ status: 400, text: 'Cannot parse request. Please pass valid JSON.' });
  });

  it('scales to 0 when the body has no replicas, as Go unmarshals a missing uint64', async () => {
    const d = fakeDocker([service('classify')]);
    const p = await serve({ docker: d.api });
    expect((await p.call('POST', '/system/scale-function/classify', {})).status).toBe(202);
    expect(d.writes[0]!.body.Mode).toEqual({ Replicated: { Replicas: 0 } });
  });

  it('lists functions with availableReplicas 0 and counts running up-to-date tasks only for one function', async () => {
    const d = fakeDocker([service('classify'), { ID: 'x', Version: { Index: 1 }, Spec: { Name: 'func_gateway', TaskTemplate: { ContainerSpec: { Image: 'gw' } } } }], [
      { Status: { State: 'running' } },
      { Status: { State: 'starting' } },
    ]);
    const p = await serve({ docker: d.api });
    const list = JSON.parse((await p.call('GET', '/system/functions')).text);
    expect(list).toEqual([
      { name: 'classify', image: '10.0.0.1:5000/fn:1', invocationCount: 0, replicas: 2, envProcess: 'node index.js', availableReplicas: 0, labels: { 'com.openfaas.function': 'classify', function: 'true' }, annotations: { team: 'lab' } },
    ]);
    expect(JSON.parse((await p.call('GET', '/system/function/classify')).text).availableReplicas).toBe(1);
    expect(await p.call('GET', '/system/function/func_gateway')).toMatchObject({ status: 404, text: '' });
  });
});

describe('stand-in faas-swarm: the function proxy', () => {
  it('with dnsrr=true resolves tasks.NAME and calls a task IP, passing the answer and path on', async () => {
    let got = '';
    const fnPort = await listen(async (req, res) => {
      got = `${req.method} ${req.url} ${(await readBody(req)).toString()}`;
      res.writeHead(201, { 'X-Duration-Seconds': '0.1' }).end('done');
    });
    const asked: string[] = [];
    const p = await serve({ docker: fakeDocker([service('classify')]).api, dnsrr: true, functionPort: fnPort, lookup: async (h) => (asked.push(h), ['127.0.0.1']) });
    const r = await p.call('POST', '/function/classify/a/b?x=1', 'cat');
    expect([r.status, r.text, r.headers.get('x-duration-seconds'), r.headers.get('content-type')]).toEqual([201, 'done', '0.1', 'text/plain;charset=UTF-8']);
    expect(got).toBe('POST /a/b?x=1 cat');
    expect(asked).toEqual(['tasks.classify']);
  });

  it('answers 404 "Cannot find service" while tasks.NAME does not resolve', async () => {
    const p = await serve({ docker: fakeDocker([service('classify')]).api, dnsrr: true, lookup: async () => { throw new Error('ENOTFOUND'); } });
    expect(await p.call('POST', '/function/classify', 'x')).toMatchObject({ status: 404, text: 'Cannot find service: classify.\n' });
  });

  it('without dnsrr calls http://NAME:8080 (the VIP), and answers 500 when that is unreachable', async () => {
    const closed = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const lookedUp: string[] = [];
    const p = await serve({ docker: fakeDocker([service('127.0.0.1')]).api, functionPort: closed, lookup: async (h) => (lookedUp.push(h), []) });
    expect(await p.call('POST', '/function/127.0.0.1', 'x')).toMatchObject({ status: 500, text: "Can't reach service for: 127.0.0.1.\n" });
    expect(lookedUp).toEqual([]);
    expect(await p.call('POST', '/function/missing', 'x')).toMatchObject({ status: 404, text: 'Cannot find service: missing.\n' });
  });
});
