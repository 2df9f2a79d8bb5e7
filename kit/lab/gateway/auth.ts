import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Credentials {
  user: string;
  password: string;
}

/** The stack's secrets, as faas-provider's auth reads them (trimmed); undefined when auth is off. */
export function readCredentials(env: NodeJS.ProcessEnv): Credentials | undefined {
  if (env.basic_auth !== 'true') return undefined;
  const dir = (env.secret_mount_path ?? '/run/secrets/').replace(/\/?$/, '/');
  const read = (f: string, fallback?: string) => {
    try {
      return readFileSync(dir + f, 'utf8').trim();
    } catch (e) {
      if (fallback !== undefined) return fallback;
      throw new Error(`basic_auth is on but ${dir}${f} cannot be read: ${(e as Error).message}`);
    }
  };
  return { user: read('basic-auth-user', 'admin'), password: read('basic-auth-password') };
}

/** True when allowed; otherwise answers 401 as the gateway does and returns false. */
export function checkAuth(creds: Credentials | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  if (!creds) return true;
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (m) {
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i >= 0 && same(decoded.slice(0, i), creds.user) && same(decoded.slice(i + 1), creds.password)) return true;
  }
  res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Restricted"', 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('invalid credentials');
  return false;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
