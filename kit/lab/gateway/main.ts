import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { checkAuth, readCredentials } from './auth.ts';
import { dockerApi, dockerMessage } from './docker-api.ts';
import { createGateway } from './gateway.ts';
import { notFound, send } from './http.ts';
import { natsSettings, natsStartError } from './nats.ts';
import { createProvider } from './provider.ts';
import { parseDurationMs } from './units.ts';

/**
 * The lab's stand-in for the OpenFaaS gateway and swarm provider (their images cannot be pulled
 * here). One image, two roles chosen as the stack's services are: with functions_provider_url it is
 * the gateway (:8080, metrics :8082); with the Docker socket and no provider URL it is faas-swarm.
 * Never part of what users deploy. Resolves with the servers, or rejects with the reason the real
 * component would exit at start.
 */
export async function startStandin(env: NodeJS.ProcessEnv = process.env, ports = { http: 8080, metrics: 8082 }): Promise<Server[]> {
  const creds = readCredentials(env);
  const readTimeout = parseDurationMs(env.read_timeout, 8000);
  const writeTimeout = parseDurationMs(env.write_timeout, 8000);
  const servers: Server[] = [];
  const arch = ({ x64: 'x86_64', arm: 'armhf', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

  if (env.functions_provider_url) {
    // The gateway reads no `dnsrr`: with direct_functions it calls http://NAME:8080, the VIP.
    const nats = natsSettings(env);
    if (nats && 'error' in nats) throw new Error(nats.error);
    if (nats) throw new Error(await natsStartError(nats));
    const gw = createGateway({
      providerUrl: env.functions_provider_url,
      creds,
      direct: env.direct_functions === 'true',
      upstreamTimeoutMs: parseDurationMs(env.upstream_timeout, 8000),
      arch,
    });
    const main = createServer((req, res) => void gw.handle(req, res));
    main.requestTimeout = readTimeout;
    main.timeout = writeTimeout;
    servers.push(main.listen(ports.http));
    const metrics = createServer((req, res) => (req.url === '/metrics' ? void gw.metrics(req, res) : notFound(res)));
    servers.push(metrics.listen(ports.metrics));
  } else {
    const socket = env.DOCKER_SOCKET ?? '/var/run/docker.sock';
    if (!existsSync(socket)) throw new Error(`stand-in provider: no Docker socket at ${socket} and no functions_provider_url: nothing to be`);
    const docker = dockerApi(socket, env.DOCKER_API_VERSION);
    // faas-swarm asks the daemon's version first and exits when refused (e.g. an API version too old).
    const version = await docker.call('GET', '/version').catch((e: Error) => ({ status: 0, json: undefined, text: e.message }));
    if (version.status !== 200) throw new Error(`Error with Docker server: ${dockerMessage(version)}`);
    const provider = createProvider({
      docker,
      dnsrr: env.dnsrr === 'true',
      proxyTimeoutMs: readTimeout,
      arch,
    });
    const server = createServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://p').pathname;
      try {
        if (path === '/healthz') return req.method === 'GET' ? send(res, 200) : send(res, 405);
        // faas-provider's open routes: /function/*, /healthz, /system/namespaces.
        if (path.startsWith('/system/') && path !== '/system/namespaces' && !checkAuth(creds, req, res)) return;
        if (!(await provider(req, res, path))) notFound(res);
      } catch (e) {
        if (!res.headersSent) send(res, 500, (e as Error).message);
      }
    });
    server.requestTimeout = readTimeout;
    servers.push(server.listen(ports.http));
  }
  return servers;
}

if (process.env.EDGEFAAS_STANDIN_MAIN === '1') {
  startStandin().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
  process.on('SIGTERM', () => process.exit(0));
}
