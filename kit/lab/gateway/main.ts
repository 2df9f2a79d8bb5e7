import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { readCredentials } from './auth.ts';
import { dockerApi } from './docker-api.ts';
import { createGateway } from './gateway.ts';
import { notFound, send } from './http.ts';
import { checkAuth } from './auth.ts';
import { createProvider } from './provider.ts';
import { parseDurationMs } from './units.ts';

/**
 * The lab's stand-in for the OpenFaaS gateway and swarm provider (their images cannot be pulled
 * here). One image, two roles chosen as the stack's services are: with functions_provider_url it is
 * the gateway (:8080, metrics :8082); with the Docker socket and no provider URL it is faas-swarm.
 * Never part of what users deploy.
 */
export function startStandin(env: NodeJS.ProcessEnv = process.env, ports = { http: 8080, metrics: 8082 }): Server[] {
  const creds = readCredentials(env);
  const readTimeout = parseDurationMs(env.read_timeout, 8000);
  const writeTimeout = parseDurationMs(env.write_timeout, 8000);
  const servers: Server[] = [];
  const arch = ({ x64: 'x86_64', arm: 'armhf', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

  if (env.functions_provider_url) {
    const dnsrr = env.dnsrr === 'true';
    const gw = createGateway({
      providerUrl: env.functions_provider_url,
      creds,
      upstreamTimeoutMs: parseDurationMs(env.upstream_timeout, 8000),
      upstream: (name) => ({ host: dnsrr ? `tasks.${name}` : name, port: 8080 }),
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
    const provider = createProvider({
      docker: dockerApi(socket, env.DOCKER_API_VERSION || undefined),
      functionEndpointMode: env.function_endpoint_mode === 'dnsrr' ? 'dnsrr' : 'vip',
      arch,
    });
    const server = createServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://p').pathname;
      try {
        if (path === '/healthz') return send(res, 200);
        if (!checkAuth(creds, req, res)) return;
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
  startStandin();
  process.on('SIGTERM', () => process.exit(0));
}
