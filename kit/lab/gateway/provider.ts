import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dockerMessage, type DockerApi } from './docker-api.ts';
import { NAME, notFound, parseJson, readBody, send, sendJson } from './http.ts';
import { nanoCpus, ramInBytes } from './units.ts';

/**
 * The swarm provider's side (faas-swarm 0.9.0 behaviour, shared/reference/openfaas-gateway.md):
 * deployments become Swarm services through the Docker API.
 */
export interface ProviderOptions {
  docker: DockerApi;
  /** "dnsrr" where the nodes have no IPVS: function services then answer on their task IPs. */
  functionEndpointMode?: 'vip' | 'dnsrr';
  release?: string;
  arch?: string;
}

const ANNOTATION_PREFIX = 'com.openfaas.annotations.';
const SECRETS_DIR = '/var/openfaas/secrets/';

export function createProvider(o: ProviderOptions) {
  const docker = o.docker;

  async function findService(name: string): Promise<any | undefined> {
    const r = await docker.call<any>('GET', `/services/${encodeURIComponent(name)}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(dockerMessage(r));
    return r.json;
  }

  async function runningTasks(name: string): Promise<number> {
    const filters = encodeURIComponent(JSON.stringify({ service: [name], 'desired-state': ['running'] }));
    const r = await docker.call<any[]>('GET', `/tasks?filters=${filters}`);
    return (r.json ?? []).filter((t) => t.Status?.State === 'running').length;
  }

  function status(svc: any, available: number) {
    const spec = svc.Spec;
    const env: string[] = spec.TaskTemplate?.ContainerSpec?.Env ?? [];
    const labels: Record<string, string> = spec.Labels ?? {};
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(labels)) if (k.startsWith(ANNOTATION_PREFIX)) annotations[k.slice(ANNOTATION_PREFIX.length)] = v;
    return {
      name: spec.Name,
      image: String(spec.TaskTemplate?.ContainerSpec?.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
      invocationCount: 0,
      replicas: spec.Mode?.Replicated?.Replicas ?? 0,
      envProcess: env.find((e) => e.startsWith('fprocess='))?.slice('fprocess='.length) ?? '',
      availableReplicas: available,
      labels,
      annotations: Object.keys(annotations).length ? annotations : null,
    };
  }

  async function buildSpec(fd: any): Promise<{ spec?: any; error?: string }> {
    const labels: Record<string, string> = { ...(fd.labels ?? {}) };
    for (const [k, v] of Object.entries<string>(fd.annotations ?? {})) {
      if (labels[ANNOTATION_PREFIX + k] !== undefined) return { error: `Deployment error: annotation ${k} clashes with a label` };
      labels[ANNOTATION_PREFIX + k] = v;
    }
    labels['com.openfaas.function'] = fd.service;
    labels.function = 'true';
    const min = labels['com.openfaas.scale.min'];
    const replicas = min === undefined ? 1 : /^\d+$/.test(min) ? Number(min) : 0;

    const env = [
      ...(fd.envProcess ? [`fprocess=${fd.envProcess}`] : []),
      ...Object.entries<string>(fd.envVars ?? {}).map(([k, v]) => `${k}=${v}`),
    ];
    const wanted: string[] = fd.secrets ?? [];
    let secrets: any[] = [];
    if (wanted.length) {
      const all = ((await docker.call<any[]>('GET', '/secrets')).json ?? []).map((s) => ({ id: s.ID, name: s.Spec.Name }));
      for (const w of wanted) {
        const hit = all.find((s) => s.name === w);
        if (!hit) return { error: `Deployment error: secret not found: ${w}; possible choices:\n[${all.map((s) => s.name).join(' ')}]` };
        secrets.push({ SecretID: hit.id, SecretName: w, File: { Name: SECRETS_DIR + w, UID: '0', GID: '0', Mode: 0o444 } });
      }
    }
    let network = fd.network;
    if (!network) {
      const filters = encodeURIComponent(JSON.stringify({ label: ['openfaas=true'] }));
      network = ((await docker.call<any[]>('GET', `/networks?filters=${filters}`)).json ?? [])[0]?.Name;
    }
    const resources = (r: any) => {
      if (!r) return undefined;
      const out: any = {};
      const mem = r.memory ? ramInBytes(r.memory) : undefined;
      const cpu = r.cpu ? nanoCpus(r.cpu) : undefined;
      if (mem !== undefined) out.MemoryBytes = mem;
      if (cpu !== undefined) out.NanoCPUs = cpu;
      return Object.keys(out).length ? out : undefined;
    };
    const spec = {
      Name: fd.service,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: fd.image,
          Env: env,
          Labels: { 'com.openfaas.function': fd.service, function: 'true' },
          Secrets: secrets,
          ReadOnly: Boolean(fd.readOnlyRootFilesystem),
          Mounts: fd.readOnlyRootFilesystem ? [{ Type: 'tmpfs', Target: '/tmp' }] : [],
        },
        Resources: { Limits: resources(fd.limits), Reservations: resources(fd.requests) },
        RestartPolicy: { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 5 },
        Placement: { Constraints: fd.constraints?.length ? fd.constraints : ['node.platform.os == linux'] },
        Networks: network ? [{ Target: network }] : [],
      },
      Mode: { Replicated: { Replicas: replicas } },
      UpdateConfig: { Parallelism: 1, FailureAction: 'rollback', Order: 'start-first' },
      RollbackConfig: { Parallelism: 1, Order: 'start-first' },
      EndpointSpec: { Mode: o.functionEndpointMode ?? 'vip' },
    };
    return { spec };
  }

  /**
   * faas-swarm's BuildEncodedAuthConfig: registryAuth is base64 "user:password"; the server is the
   * image's registry (docker.io when the name has fewer than three parts); Docker gets it as the
   * X-Registry-Auth header (base64url JSON), which Swarm keeps with the service for every node's pull.
   */
  function encodedRegistryAuth(registryAuth: string, image: string): string | undefined {
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(registryAuth)) return undefined;
    const plain = Buffer.from(registryAuth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon < 0) return undefined;
    const parts = image.split('/');
    let server = 'docker.io';
    if (parts.length >= 3) {
      server = parts[0]!;
      if (!/[.:]/.test(server) && server !== 'localhost') return undefined;
      if (server === 'index.docker.io') server = 'docker.io';
    }
    const json = JSON.stringify({ username: plain.slice(0, colon), password: plain.slice(colon + 1), serveraddress: server });
    return Buffer.from(json).toString('base64url');
  }

  function validDeployment(body: Buffer): any | undefined {
    const p = parseJson(body);
    if (!p.ok || typeof p.value !== 'object' || p.value === null) return undefined;
    if (typeof p.value.service !== 'string' || !p.value.service || typeof p.value.image !== 'string' || !p.value.image) return undefined;
    return p.value;
  }

  async function deploy(req: IncomingMessage, res: ServerResponse, update: boolean): Promise<void> {
    const fd = validDeployment(await readBody(req));
    if (!fd) return send(res, 400);
    const existing = update ? await findService(fd.service) : undefined;
    if (update && !existing) return send(res, 404, `Unable to find function: ${fd.service}`);
    let auth: Record<string, string> = {};
    if (typeof fd.registryAuth === 'string' && fd.registryAuth.length > 0) {
      const encoded = encodedRegistryAuth(fd.registryAuth, fd.image);
      if (!encoded) return send(res, 400, 'Invalid registry auth');
      auth = { 'X-Registry-Auth': encoded };
    }
    const built = await buildSpec(fd);
    if (built.error) return send(res, 400, built.error);
    let r;
    if (existing) {
      built.spec.Labels['com.openfaas.uid'] = randomUUID();
      r = await docker.call('POST', `/services/${existing.ID}/update?version=${existing.Version.Index}&registryAuthFrom=spec`, built.spec, auth);
    } else {
      r = await docker.call('POST', '/services/create', built.spec, auth);
    }
    if (r.status >= 300) return send(res, 400, `Deployment error: ${dockerMessage(r)}`);
    return send(res, 202);
  }

  /** Answers provider routes; returns false for a path it does not own. */
  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if (path === '/system/functions') {
      if (method === 'GET') {
        const filters = encodeURIComponent(JSON.stringify({ label: ['function=true'] }));
        const r = await docker.call<any[]>('GET', `/services?filters=${filters}`);
        if (r.status !== 200) return send(res, 500, dockerMessage(r)), true;
        sendJson(res, 200, (r.json ?? []).map((s) => status(s, 0)));
      } else if (method === 'POST') await deploy(req, res, false);
      else if (method === 'PUT') await deploy(req, res, true);
      else if (method === 'DELETE') {
        const p = parseJson(await readBody(req));
        const name = p.ok ? p.value?.functionName : undefined;
        if (typeof name !== 'string' || !name) return send(res, 400), true;
        const svc = await findService(name);
        if (!svc || svc.Spec.Labels?.function !== 'true') return send(res, 404, `No such service found: ${name}.`), true;
        const r = await docker.call('DELETE', `/services/${svc.ID}`);
        if (r.status >= 300) return send(res, 500, dockerMessage(r)), true;
        send(res, 202);
      } else send(res, 405);
      return true;
    }
    if ((m = new RegExp(`^/system/function/(${NAME})$`).exec(path))) {
      if (method !== 'GET') return send(res, 405), true;
      const svc = await findService(m[1]!);
      if (!svc || svc.Spec.Labels?.function !== 'true') return send(res, 404), true;
      sendJson(res, 200, status(svc, await runningTasks(svc.Spec.Name)));
      return true;
    }
    if ((m = new RegExp(`^/system/scale-function/(${NAME})$`).exec(path))) {
      if (method !== 'POST') return send(res, 405), true;
      const p = parseJson(await readBody(req));
      if (!p.ok || typeof p.value?.replicas !== 'number') return send(res, 400, 'Cannot parse request. Please pass valid JSON.'), true;
      const svc = await findService(m[1]!);
      if (!svc) return send(res, 500, `Unable to scale function: ${m[1]} not found`), true;
      const spec = { ...svc.Spec, Mode: { Replicated: { Replicas: p.value.replicas } } };
      const r = await docker.call('POST', `/services/${svc.ID}/update?version=${svc.Version.Index}&registryAuthFrom=spec`, spec);
      if (r.status >= 300) return send(res, 500, dockerMessage(r)), true;
      send(res, 202);
      return true;
    }
    if (path === '/system/info') {
      if (method !== 'GET') return send(res, 405), true;
      sendJson(res, 200, {
        provider: 'faas-swarm',
        orchestration: 'swarm',
        version: { sha: 'edgefaas-standin', release: o.release ?? '0.9.0' },
      });
      return true;
    }
    if (path === '/system/secrets') {
      if (method !== 'GET') return send(res, 405), true;
      const r = await docker.call<any[]>('GET', '/secrets');
      sendJson(res, 200, (r.json ?? []).map((s) => ({ name: s.Spec.Name })));
      return true;
    }
    return false;
  };
}

export type ProviderHandler = ReturnType<typeof createProvider>;
export { notFound };
