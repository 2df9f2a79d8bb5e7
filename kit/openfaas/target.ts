import { GatewayClient } from '../gateway/index.ts';
import type { ClusterSpec } from '../inventory/schema.ts';
import { GATEWAY_USER, gatewayKey, gatewayUrl, storedCredentials } from './credentials.ts';
import { AddressError, behindJumpMessage, clusterManagerAddress } from '../nodes/address.ts';

/** The gateway URL: --gateway, then stack.yml's provider.gateway, then $OPENFAAS_URL, then cluster.yaml's manager (its resolved address). */
export async function resolveGatewayUrl(o: { flag?: string; stack?: string; env?: NodeJS.ProcessEnv; spec?: ClusterSpec }): Promise<string> {
  const env = o.env ?? process.env;
  const url = o.flag || o.stack || env.OPENFAAS_URL || (o.spec ? await clusterGatewayUrl(o.spec, env) : undefined);
  if (!url) throw new Error('no gateway: give --gateway URL, set OPENFAAS_URL, or run from the folder with cluster.yaml');
  return url;
}

/** The gateway at the first manager's address as this machine resolves it (what `up` printed). */
export async function clusterGatewayUrl(spec: ClusterSpec, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const m = await clusterManagerAddress(spec, env);
  if (m.behindJump) throw new AddressError(behindJumpMessage(m, spec.gateway.port));
  return gatewayUrl(spec, m.ip);
}

/**
 * A gateway client with the user's $OPENFAAS_PASSWORD, else the password `up` stored (0600) when
 * `url` is this cluster's own gateway (at cluster.yaml's manager address or its resolved one):
 * credentials are keyed by gateway URL, as faas-cli keys them.
 */
export async function gatewayFor(url: string, spec: ClusterSpec | undefined, env: NodeJS.ProcessEnv, debug?: (l: string) => void): Promise<GatewayClient> {
  if (env.OPENFAAS_PASSWORD) return new GatewayClient({ baseUrl: url, auth: { username: GATEWAY_USER, password: env.OPENFAAS_PASSWORD }, debug });
  if (!spec) return new GatewayClient({ baseUrl: url, debug });
  const manager = spec.nodes.find((n) => n.role === 'manager')!;
  const own = [gatewayUrl(spec, manager.address), ...[await clusterGatewayUrl(spec, env).catch(() => undefined)].filter((u): u is string => !!u)];
  const auth = await storedCredentials(url, spec, own, env);
  if (!own.some((o) => gatewayKey(o) === gatewayKey(url))) debug?.(`${url} is not this cluster's gateway (${own.join(' or ')}): no stored credentials sent`);
  return new GatewayClient({ baseUrl: url, auth, debug });
}
