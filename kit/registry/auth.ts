import type { BasicAuth } from '../http/request.ts';
import { basicAuthorization, fetchFailureReason } from '../http/request.ts';

/**
 * The registry's answer to a request without (enough) credentials: `WWW-Authenticate: Basic realm=...`
 * (htpasswd) or `Bearer realm=...,service=...,scope=...` (the distribution token protocol, as Docker
 * Hub, GHCR and `auth: token` registries speak it).
 */
export type Challenge =
  | { scheme: 'basic'; realm?: string }
  | { scheme: 'bearer'; realm: string; service?: string; scope?: string };

export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'basic') return { scheme: 'basic', ...(params.realm ? { realm: params.realm } : {}) };
  if (scheme === 'bearer' && params.realm) {
    return { scheme: 'bearer', realm: params.realm, ...(params.service ? { service: params.service } : {}), ...(params.scope ? { scope: params.scope } : {}) };
  }
  return undefined;
}

export class RegistryAuthError extends Error {
  override name = 'RegistryAuthError';
  constructor(
    message: string,
    readonly registry: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * GET realm?service=&scope= (with the user's basic credentials when there are any, anonymous
 * otherwise), as the token spec says; returns the bearer token.
 */
export async function fetchToken(o: {
  registry: string;
  challenge: Extract<Challenge, { scheme: 'bearer' }>;
  auth?: BasicAuth;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
}): Promise<string> {
  const url = new URL(o.challenge.realm);
  if (o.challenge.service) url.searchParams.set('service', o.challenge.service);
  if (o.challenge.scope) for (const s of o.challenge.scope.split(' ')) url.searchParams.append('scope', s);
  if (o.auth) url.searchParams.set('account', o.auth.username);
  let res: Response;
  try {
    res = await o.fetch(url, { headers: o.auth ? { Authorization: basicAuthorization(o.auth) } : {}, signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (e) {
    throw new RegistryAuthError(`registry ${o.registry}: its token service ${url.origin}${url.pathname} is unreachable (${fetchFailureReason(e)})`, o.registry);
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    throw new RegistryAuthError(
      o.auth
        ? `registry ${o.registry} refused the credentials of user ${o.auth.username} (token service ${url.origin}${url.pathname} answered ${res.status}); check the user and password for ${o.registry}`
        : `registry ${o.registry} wants a login (token service answered ${res.status}); give its credentials (docker login ${o.registry}, or registry.username/password in cluster.yaml)`,
      o.registry,
      res.status,
    );
  }
  if (res.status !== 200) {
    throw new RegistryAuthError(`registry ${o.registry}: token service ${url.origin}${url.pathname} answered ${res.status}: ${text.trim().slice(0, 200)}`, o.registry, res.status);
  }
  let body: { token?: string; access_token?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new RegistryAuthError(`registry ${o.registry}: token service ${url.origin}${url.pathname} sent no JSON`, o.registry);
  }
  const token = body.token || body.access_token;
  if (!token) throw new RegistryAuthError(`registry ${o.registry}: token service ${url.origin}${url.pathname} sent no token`, o.registry);
  return token;
}
