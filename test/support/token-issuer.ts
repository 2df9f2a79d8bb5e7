import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { ensureCa } from '../../kit/lab/registry/tls.ts';

/**
 * A token service as the distribution token spec describes it (docs/spec/auth/token.md and jwt.md),
 * standing in for auth.docker.io / ghcr.io/token, which cannot be reached here:
 * GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with optional Basic credentials →
 * 200 {"token","access_token","expires_in","issued_at"}, the JWT signed with a key whose certificate
 * travels in the header's x5c (the registry checks it against its rootcertbundle); wrong credentials
 * → 401; anonymous callers get pull on public repositories only, and a token for less than they
 * asked is how a registry learns to refuse them.
 */
export interface TokenIssuer {
  realm: string;
  service: string;
  issuer: string;
  /** The signing certificate: the registry's `auth.token.rootcertbundle`. */
  rootCertBundle: string;
  /** Every request the issuer served (scope and account asked, status answered): what a test asserts on. */
  requests: Array<{ scope: string[]; account?: string; authorized: boolean; status: number }>;
  stop(): Promise<void>;
}

export interface TokenIssuerOptions {
  dir: string;
  users: Record<string, string>;
  /** Repositories anyone may pull without a login (as public images on Docker Hub). */
  publicRepos?: string[];
  service?: string;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export async function startTokenIssuer(o: TokenIssuerOptions): Promise<TokenIssuer> {
  const { cert, key } = await ensureCa(o.dir, 'edgefaas test token issuer');
  const pem = await fs.readFile(cert, 'utf8');
  const der = new X509Certificate(pem).raw.toString('base64');
  const signingKey = createPrivateKey(await fs.readFile(key, 'utf8'));
  const service = o.service ?? 'test-registry';
  const issuer = 'edgefaas-test-issuer';
  const requests: TokenIssuer['requests'] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token' || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    const scopes = url.searchParams.getAll('scope');
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^Basic (.+)$/i.exec(auth);
      const plain = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
      const colon = plain.indexOf(':');
      const name = plain.slice(0, colon);
      if (colon < 0 || o.users[name] === undefined || o.users[name] !== plain.slice(colon + 1)) {
        requests.push({ scope: scopes, account: url.searchParams.get('account') ?? undefined, authorized: false, status: 401 });
        res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Basic realm="token"' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
    }
    if (url.searchParams.get('service') !== service) {
      requests.push({ scope: scopes, authorized: Boolean(user), status: 400 });
      res.writeHead(400).end(JSON.stringify({ details: 'unknown service' }));
      return;
    }
    // Grant what the caller may have of what it asked: users all actions, anonymous pull on public repos.
    const access = scopes.flatMap((s) => {
      const [type, name, actions] = s.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      const asked = actions.split(',');
      const granted = user ? asked : o.publicRepos?.includes(name) ? asked.filter((a) => a === 'pull') : [];
      return [{ type, name, actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [der] };
    const claims = { iss: issuer, sub: user ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' });
    const token = `${input}.${b64url(sig)}`;
    requests.push({ scope: scopes, account: url.searchParams.get('account') ?? undefined, authorized: Boolean(user), status: 200 });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: cert,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
