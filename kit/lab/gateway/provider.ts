import type { IncomingMessage, ServerResponse } from 'node:http';
import { dockerMessage, type DockerApi } from './docker-api.ts';
import { NAME, parseJson, readBody, send, sendJson } from './http.ts';
import { createFunctionProxy, type FunctionProxyOptions } from './provider-proxy.ts';
import { nanoCpus, ramInBytes } from './units.ts';

/**
 * The swarm provider's side (faas-swarm 0.9.0, handlers/*.go; shared/reference/openfaas-gateway.md,
 * "Measured on a lab swarm"): deployments become Swarm services through the Docker API, written
 * exactly as faas-swarm writes them, and /function/NAME is proxied as faas-provider's proxy does.
 */
export interface ProviderOptions extends FunctionProxyOptions {
  docker: DockerApi;
  release?: string;
  arch?: string;
  /** Clock for the update uid (time.Now().Nanosecond()); injectable for tests. */
  nanos?: () => number;
}

const ANNOTATION_PREFIX = 'com.openfaas.annotations.';
const SECRETS_DIR = '/var/openfaas/secrets/';

/** A function is any service whose container labels carry a non-empty "function" (reader.go). */
const isFunction = (svc: any) => Boolean(svc?.Spec?.TaskTemplate?.ContainerSpec?.Labels?.function);

export function createProvider(o: ProviderOptions) {
  const docker = o.docker;
  const nanos = o.nanos ?? (() => Number(process.hrtime.bigint() % 1_000_000_000n));

  async function inspect(name: string): Promise<{ svc?: any; error?: string }> {
    const r = await docker.call<any>('GET', `/services/${encodeURIComponent(name)}?insertDefaults=true`);
    if (r.status === 200) return { svc: r.json };
    // The Docker client's text for a missing service, as faas-swarm passes it on.
    if (r.status === 404) return { error: `Error: No such service: ${name}` };
    return { error: dockerMessage(r) };
  }

  async function functions(): Promise<any[]> {
    const r = await docker.call<any[]>('GET', '/services');
    if (r.status !== 200) throw new Error(`error getting service list: ${dockerMessage(r)}`);
    return (r.json ?? []).filter(isFunction);
  }

  /** Running, up-to-date tasks (replica_reader.go's filter). */
  async function availableReplicas(name: string): Promise<number> {
    const filters = encodeURIComponent(JSON.stringify({ service: [name], 'desired-state': ['running'], '_up-to-date': ['true'] }));
    const r = await docker.call<any[]>('GET', `/tasks?filters=${filters}`);
    return (r.json ?? []).filter((t) => t.Status?.State === 'running').length;
  }

  function status(svc: any, available: number) {
    const spec = svc.Spec;
    const env: string[] = spec.TaskTemplate?.ContainerSpec?.Env ?? [];
    let labels: Record<string, string> | null = null;
    let annotations: Record<string, string> | null = null;
    for (const [k, v] of Object.entries<string>(spec.Labels ?? {})) {
      if (k.startsWith(ANNOTATION_PREFIX)) (annotations ??= {})[k.slice(ANNOTATION_PREFIX.length)] = v;
      else (labels ??= {})[k] = v;
    }
    let envProcess = '';
    for (const e of env) if (e.includes('fprocess=')) envProcess = e.slice('fprocess='.length);
    return {
      name: spec.Name,
      // Verbatim: faas-swarm never asks the registry for a digest (QueryRegistry is off).
      image: spec.TaskTemplate?.ContainerSpec?.Image ?? '',
      invocationCount: 0,
      replicas: spec.Mode?.Replicated?.Replicas ?? 0,
      envProcess,
      availableReplicas: available,
      labels,
      annotations,
    };
  }

  /** buildLabels: the two markers first, the user's labels over them, then annotations. */
  function buildLabels(fd: any): { labels?: Record<string, string>; error?: string } {
    const labels: Record<string, string> = { 'com.openfaas.function': fd.service, function: 'true', ...(fd.labels ?? {}) };
    for (const [k, v] of Object.entries<string>(fd.annotations ?? {})) {
      if (labels[ANNOTATION_PREFIX + k] !== undefined) return { error: `Keys ${k} can not be used as a labels as is clashes with annotations` };
      labels[ANNOTATION_PREFIX + k] = v;
    }
    return { labels };
  }

  /** fprocess first, then envVars in Go's map order, which is random. */
  function buildEnv(fd: any): string[] {
    const vars = Object.entries<string>(fd.envVars ?? {}).map(([k, v]) => `${k}=${v}`);
    for (let i = vars.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [vars[i], vars[j]] = [vars[j]!, vars[i]!];
    }
    return [...(fd.envProcess ? [`fprocess=${fd.envProcess}`] : []), ...vars];
  }

  function minReplicas(fd: any): number {
    const min = fd.labels?.['com.openfaas.scale.min'];
    if (min === undefined) return 1;
    return /^[+-]?\d+$/.test(min) ? Number(min) : 0;
  }

  function buildResources(fd: any): any {
    if (!fd.limits && !fd.requests) return undefined;
    const part = (r: any) => {
      if (!r) return undefined;
      const out: any = {};
      const mem = r.memory ? ramInBytes(r.memory) : undefined;
      const cpu = r.cpu ? nanoCpus(r.cpu) : undefined;
      if (mem !== undefined) out.MemoryBytes = mem;
      if (cpu !== undefined) out.NanoCPUs = cpu;
      return Object.keys(out).length ? out : undefined;
    };
    return { Limits: part(fd.limits), Reservations: part(fd.requests) };
  }

  async function secretRefs(wanted: string[]): Promise<{ refs?: any[]; error?: string }> {
    if (!wanted.length) return { refs: [] };
    const all = ((await docker.call<any[]>('GET', '/secrets')).json ?? []).map((s) => ({ id: s.ID, name: s.Spec.Name }));
    const refs: any[] = [];
    const seen = new Set<string>();
    for (const w of wanted) {
      if (seen.has(w)) return { error: `duplicate secret target for ${w} not allowed` };
      seen.add(w);
      const hit = all.find((s) => s.name === w);
      if (!hit) return { error: `secret not found: ${w}; possible choices:\n[${all.map((s) => s.name).join(' ')}]` };
      refs.push({ File: { Name: SECRETS_DIR + w, UID: '0', GID: '0', Mode: 0o444 }, SecretID: hit.id, SecretName: w });
    }
    return { refs };
  }

  async function networkName(fd: any): Promise<string> {
    if (fd.network) return fd.network;
    const filters = encodeURIComponent(JSON.stringify({ label: ['openfaas=true'] }));
    return ((await docker.call<any[]>('GET', `/networks?filters=${filters}`)).json ?? [])[0]?.Name ?? '';
  }

  /**
   * faas-swarm's BuildEncodedAuthConfig: registryAuth is base64 "user:password"; the server is the
   * image's registry (docker.io when the name has fewer than three parts); Docker gets it as the
   * X-Registry-Auth header (URL-safe, padded base64 JSON), which Swarm keeps with the service for every node's pull.
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
    // Go's base64.URLEncoding, as faas-swarm and the Docker client encode it: URL-safe and padded.
    // dockerd decodes with padding; an unpadded header is dropped and the nodes pull without credentials.
    return Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  }

  /** The X-Registry-Auth header a deployment asks for ({} without registryAuth), or undefined when its registryAuth is invalid. */
  function registryAuthHeader(fd: any): Record<string, string> | undefined {
    if (typeof fd.registryAuth !== 'string' || fd.registryAuth.length === 0) return {};
    const encoded = encodedRegistryAuth(fd.registryAuth, String(fd.image ?? ''));
    return encoded ? { 'X-Registry-Auth': encoded } : undefined;
  }

  /** A deployment body: a JSON object, or undefined (the handlers answer a bad one differently). */
  async function readDeployment(req: IncomingMessage): Promise<any | undefined> {
    const p = parseJson(await readBody(req));
    return p.ok && typeof p.value === 'object' && p.value !== null ? p.value : undefined;
  }

  /**
   * What deploy.go and update.go both derive from a deployment, in their order: registry auth,
   * secrets, network, labels. A failed step is the 400 text to answer; only the labels' prefix
   * differs between the two handlers ("Deployment error" / "Update spc error").
   */
  async function deploymentParts(fd: any, labelsErrorPrefix: string) {
    const auth = registryAuthHeader(fd);
    if (!auth) return { error: 'Invalid registry auth' } as const;
    const secrets = await secretRefs(fd.secrets ?? []);
    if (secrets.error) return { error: `Deployment error: ${secrets.error}` } as const;
    const network = await networkName(fd);
    const l = buildLabels(fd);
    if (l.error) return { error: `${labelsErrorPrefix}: ${l.error}` } as const;
    return { auth, secrets: secrets.refs, network, labels: l.labels!, env: buildEnv(fd) };
  }

  const RESTART_POLICY = { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 5 };
  const placement = (fd: any) => ({ Constraints: fd.constraints?.length ? fd.constraints : ['node.platform.os == linux'] });

  /** POST (deploy.go makeSpec): no EndpointSpec, no UpdateConfig/RollbackConfig, every label on the container too. */
  async function create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fd = await readDeployment(req);
    if (!fd) return send(res, 400);
    const d = await deploymentParts(fd, 'Deployment error');
    if ('error' in d) return send(res, 400, d.error);
    const spec: any = {
      Name: fd.service,
      Labels: d.labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: fd.image,
          Labels: d.labels,
          Secrets: d.secrets,
          ReadOnly: Boolean(fd.readOnlyRootFilesystem),
          ...(fd.readOnlyRootFilesystem ? { Mounts: [{ Type: 'tmpfs', Target: '/tmp' }] } : {}),
          ...(d.env.length ? { Env: d.env } : {}),
        },
        Resources: buildResources(fd),
        RestartPolicy: RESTART_POLICY,
        Placement: placement(fd),
        Networks: [{ Target: d.network }],
      },
      Mode: { Replicated: { Replicas: minReplicas(fd) } },
    };
    const r = await docker.call('POST', '/services/create', spec, d.auth);
    if (r.status >= 300) return send(res, 400, `Deployment error: ${dockerMessage(r)}`);
    send(res, 202);
  }

  /**
   * PUT (update.go updateSpec): the inspected spec (defaults inserted) with image, labels + uid,
   * network, secrets, mounts, resources, placement replaced; UpdateConfig start-first with rollback,
   * RollbackConfig {FailureAction: pause}; the endpoint mode and, when no env is sent, the env kept.
   */
  async function update(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fd = await readDeployment(req);
    if (!fd) return send(res, 400, 'invalid character in request body');
    const found = await inspect(String(fd.service ?? ''));
    if (!found.svc) return send(res, 404, found.error);
    const d = await deploymentParts(fd, 'Update spc error');
    if ('error' in d) return send(res, 400, d.error);
    const labels = { ...d.labels, 'com.openfaas.uid': String(nanos()) };
    const spec = structuredClone(found.svc.Spec);
    const tt = spec.TaskTemplate;
    tt.RestartPolicy = { ...(tt.RestartPolicy ?? {}), ...RESTART_POLICY };
    tt.ContainerSpec.Image = fd.image;
    spec.Labels = labels;
    tt.ContainerSpec.Labels = labels;
    tt.Networks = [{ Target: d.network }];
    tt.ContainerSpec.Secrets = d.secrets;
    tt.ContainerSpec.ReadOnly = Boolean(fd.readOnlyRootFilesystem);
    const mounts = (tt.ContainerSpec.Mounts ?? []).filter((m: any) => m.Target !== '/tmp');
    tt.ContainerSpec.Mounts = fd.readOnlyRootFilesystem ? [{ Type: 'tmpfs', Target: '/tmp' }] : mounts;
    tt.Resources = buildResources(fd);
    tt.Placement = placement(fd);
    spec.Name = fd.service;
    spec.RollbackConfig = { FailureAction: 'pause' };
    spec.UpdateConfig = { Parallelism: 1, FailureAction: 'rollback', Order: 'start-first' };
    if (d.env.length) tt.ContainerSpec.Env = d.env;
    if (spec.Mode?.Replicated) spec.Mode.Replicated.Replicas = minReplicas(fd);
    const r = await docker.call('POST', `/services/${found.svc.ID}/update?version=${found.svc.Version.Index}&registryAuthFrom=spec`, spec, d.auth);
    if (r.status >= 300) return send(res, 400, `Update error: ${dockerMessage(r)}`);
    send(res, 202);
  }

  async function remove(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = parseJson(await readBody(req));
    const name = p.ok ? p.value?.functionName : undefined;
    if (typeof name !== 'string' || !name) return send(res, 400);
    const ids = (await functions()).filter((s) => s.Spec.Name === name).map((s) => s.ID);
    if (!ids.length) return send(res, 404, `No such service found: ${name}.`);
    let failed = false;
    for (const id of ids) if ((await docker.call('DELETE', `/services/${id}`)).status >= 300) failed = true;
    send(res, failed ? 500 : 202);
  }

  async function scale(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const p = parseJson(await readBody(req));
    // Go's Unmarshal into {replicas uint64}: a missing field is 0, a wrong type is an error.
    const replicas = p.ok ? (p.value?.replicas ?? 0) : undefined;
    if (!p.ok || typeof replicas !== 'number' || replicas < 0 || !Number.isInteger(replicas)) {
      return send(res, 400, 'Cannot parse request. Please pass valid JSON.');
    }
    const found = await inspect(name);
    if (!found.svc) return send(res, 500, found.error);
    const spec = { ...found.svc.Spec, Mode: { Replicated: { Replicas: replicas } } };
    const r = await docker.call('POST', `/services/${found.svc.ID}/update?version=${found.svc.Version.Index}&registryAuthFrom=spec`, spec);
    if (r.status >= 300) return send(res, 500, dockerMessage(r));
    send(res, 202);
  }

  const proxy = createFunctionProxy(o, async (name) => {
    const filters = encodeURIComponent(JSON.stringify({ name: [name] }));
    const r = await docker.call<any[]>('GET', `/services?filters=${filters}`);
    return r.status === 200 && (r.json ?? []).length > 0;
  });

  /** Answers provider routes; returns false for a path it does not own. */
  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^/function/(${NAME})(?:/(.*))?$`).exec(path))) {
      await proxy(req, res, m[1]!, m[2] ?? '');
      return true;
    }
    if (path === '/system/functions') {
      if (method === 'GET') {
        let list: any[];
        try {
          list = await functions();
        } catch (e) {
          return send(res, 500, (e as Error).message), true;
        }
        // The list never counts tasks: availableReplicas is always 0 here (reader.go).
        sendJson(res, 200, list.map((s) => status(s, 0)));
      } else if (method === 'POST') await create(req, res);
      else if (method === 'PUT') await update(req, res);
      else if (method === 'DELETE') await remove(req, res);
      else send(res, 405);
      return true;
    }
    if ((m = new RegExp(`^/system/function/(${NAME})$`).exec(path))) {
      if (method !== 'GET') return send(res, 405), true;
      const svc = (await functions()).find((s) => s.Spec.Name === m![1]);
      if (!svc) return send(res, 404), true;
      sendJson(res, 200, status(svc, await availableReplicas(svc.Spec.Name)));
      return true;
    }
    if ((m = new RegExp(`^/system/scale-function/(${NAME})$`).exec(path))) {
      if (method !== 'POST') return send(res, 405), true;
      await scale(req, res, m[1]!);
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
