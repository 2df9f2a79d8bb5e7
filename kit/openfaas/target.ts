import { GatewayClient } from '../gateway/index.ts';
import type { ClusterSpec } from '../inventory/schema.ts';
import { GATEWAY_USER, gatewayKey, gatewayUrl, storedCredentials } from './credentials.ts';

/** The gateway URL: --gateway, then stack.yml's provider.gateway, then $OPENFAAS_URL, then cluster.yaml's manager. */
export function resolveGatewayUrl(o: { flag?: string; stack?: string; env?: NodeJS.ProcessEnv; spec?: ClusterSpec }): string {
  const env = o.env ?? process.env;
  const url = o.flag || o.stack || env.OPENFAAS_URL || (o.spec ? gatewayUrl(o.spec) : undefined);
  if (!url) throw new Error('no gateway: give --gateway URL, set OPENFAAS_URL, or run from the folder with cluster.yaml');
  return url;
}

/**
 * A gateway client with the user's $OPENFAAS_PASSWORD, else the password `up` stored (0600) when
 * `url` is this cluster's own gateway: credentials are keyed by gateway URL, as faas-cli keys them.
 */
export async function gatewayFor(url: string, spec: ClusterSpec | undefined, env: NodeJS.ProcessEnv, debug?: (l: string) => void): Promise<GatewayClient> {
  const auth = env.OPENFAAS_PASSWORD ? { username: GATEWAY_USER, password: env.OPENFAAS_PASSWORD } : await storedCredentials(url, spec, env);
  if (spec && gatewayKey(url) !== gatewayKey(gatewayUrl(spec))) debug?.(`${url} is not this cluster's gateway (${gatewayUrl(spec)}): no stored credentials sent`);
  return new GatewayClient({ baseUrl: url, auth, debug });
}
