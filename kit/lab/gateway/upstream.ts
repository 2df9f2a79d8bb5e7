import { request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { send } from './http.ts';

type Headers = Record<string, string | string[]>;

/** `headers` without the names in `drop` (lower-case) and without unset values. */
export function headersWithout(headers: IncomingHttpHeaders, drop: readonly string[]): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !drop.includes(k)) out[k] = v;
  return out;
}

/** The caller's headers minus `drop`, with X-Forwarded-Host and X-Forwarded-For as Go's proxies add them. */
export function forwardedHeaders(req: IncomingMessage, drop: readonly string[]): Headers {
  const headers = headersWithout(req.headers, drop);
  headers['x-forwarded-host'] ??= req.headers.host ?? '';
  headers['x-forwarded-for'] ??= `${(req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${req.socket.remotePort}`;
  return headers;
}

export interface Upstream {
  host: string;
  port: number;
  path: string;
  headers: Headers;
  timeoutMs: number;
  /** The headers the caller gets with the upstream's answer. */
  responseHeaders: (upstream: IncomingMessage) => Headers;
  /** The answer when the upstream gives none (refused, unresolvable, timed out). */
  unreachable: { status: number; body?: string; headers?: Record<string, string> };
}

/**
 * Streams req's body to the upstream and its answer back to res. Resolves with the status the
 * caller got (the upstream's once its body is passed on, or `unreachable.status`), or undefined
 * when the upstream's body broke off midway (res is then destroyed).
 */
export function pipeUpstream(req: IncomingMessage, res: ServerResponse, u: Upstream): Promise<number | undefined> {
  return new Promise((resolve) => {
    let answered = false;
    const fail = () => {
      if (answered) return;
      answered = true;
      if (!res.headersSent) send(res, u.unreachable.status, u.unreachable.body, u.unreachable.headers);
      else res.destroy();
      resolve(u.unreachable.status);
    };
    const up = request({ host: u.host, port: u.port, method: req.method, path: u.path, headers: u.headers, timeout: u.timeoutMs }, (ur) => {
      answered = true;
      const status = ur.statusCode ?? u.unreachable.status;
      res.writeHead(status, u.responseHeaders(ur));
      ur.pipe(res);
      ur.on('end', () => resolve(status));
      ur.on('error', () => {
        res.destroy();
        resolve(undefined);
      });
    });
    up.on('timeout', () => up.destroy(new Error('upstream timeout')));
    up.on('error', fail);
    req.pipe(up);
  });
}
