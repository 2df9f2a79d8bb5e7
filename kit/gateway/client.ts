import {
  FunctionNotFoundError,
  GatewayAuthError,
  GatewayError,
  GatewayUnreachableError,
} from './errors.ts';
import type { FunctionDeployment, FunctionStatus, GatewayInfo } from './types.ts';
import { basicAuthorization, fetchFailureReason } from '../http/request.ts';

export interface GatewayAuth {
  username: string;
  password: string;
}

export interface GatewayClientOptions {
  /** e.g. http://192.168.1.10:8080 (trailing slash and case are normalised). */
  baseUrl: string;
  auth?: GatewayAuth;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  /** Called with one line per request (Authorization never included), e.g. under EDGEFAAS_DEBUG=1. */
  debug?: (line: string) => void;
}

export interface InvokeOptions {
  /** Extra path after /function/NAME, e.g. "/healthz". */
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  query?: string;
  timeoutMs?: number;
}

export interface InvokeResult {
  status: number;
  headers: Headers;
  body: Buffer;
}

export type DeployOutcome = 'created' | 'updated';

/** Normalises a gateway URL as faas-cli does: lower case, no trailing slash, http:// when no scheme. */
export function normaliseGatewayUrl(url: string): string {
  let u = url.trim().toLowerCase().replace(/\/+$/, '');
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(u)) u = `http://${u}`;
  return u;
}

/**
 * A typed client for the OpenFaaS gateway: one method per endpoint, every status mapped.
 * Writes accept 200 or 202 (both providers answer 202; the spec says 200 for some).
 */
export class GatewayClient {
  readonly baseUrl: string;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly timeoutMs: number;

  constructor(private readonly opts: GatewayClientOptions) {
    this.baseUrl = normaliseGatewayUrl(opts.baseUrl);
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** GET /healthz: true on 200, false on any other answer; throws only when unreachable. */
  async healthz(): Promise<boolean> {
    const res = await this.request('GET', '/healthz', { auth: false });
    return res.status === 200;
  }

  /** GET /system/info */
  async info(): Promise<GatewayInfo> {
    const res = await this.request('GET', '/system/info');
    this.expect(res, [200]);
    return this.json<GatewayInfo>(res);
  }

  /** GET /system/functions */
  async listFunctions(): Promise<FunctionStatus[]> {
    const res = await this.request('GET', '/system/functions');
    this.expect(res, [200]);
    return (this.json<FunctionStatus[] | null>(res)) ?? [];
  }

  /** GET /system/function/NAME */
  async getFunction(name: string): Promise<FunctionStatus> {
    const res = await this.request('GET', `/system/function/${encodeURIComponent(name)}`);
    if (res.status === 404) throw new FunctionNotFoundError(name, 'GET', res.url, res.text);
    this.expect(res, [200]);
    return this.json<FunctionStatus>(res);
  }

  /** POST /system/functions: create. */
  async createFunction(fd: FunctionDeployment): Promise<void> {
    const res = await this.request('POST', '/system/functions', { json: fd });
    this.expect(res, [200, 201, 202], `deploying ${fd.service}`);
  }

  /** PUT /system/functions: update; FunctionNotFoundError when it does not exist yet. */
  async updateFunction(fd: FunctionDeployment): Promise<void> {
    const res = await this.request('PUT', '/system/functions', { json: fd });
    if (res.status === 404) throw new FunctionNotFoundError(fd.service, 'PUT', res.url, res.text);
    this.expect(res, [200, 201, 202], `updating ${fd.service}`);
  }

  /** faas-cli deploy: PUT, and POST when the PUT answers 404. */
  async deployFunction(fd: FunctionDeployment): Promise<DeployOutcome> {
    try {
      await this.updateFunction(fd);
      return 'updated';
    } catch (e) {
      if (!(e instanceof FunctionNotFoundError)) throw e;
    }
    await this.createFunction(fd);
    return 'created';
  }

  /** DELETE /system/functions */
  async deleteFunction(name: string, namespace?: string): Promise<void> {
    const body = namespace ? { functionName: name, namespace } : { functionName: name };
    const res = await this.request('DELETE', '/system/functions', { json: body });
    if (res.status === 404) throw new FunctionNotFoundError(name, 'DELETE', res.url, res.text);
    this.expect(res, [200, 202], `removing ${name}`);
  }

  /** POST /system/scale-function/NAME */
  async scaleFunction(name: string, replicas: number, namespace?: string): Promise<void> {
    const body = { serviceName: name, replicas, ...(namespace ? { namespace } : {}) };
    const res = await this.request('POST', `/system/scale-function/${encodeURIComponent(name)}`, { json: body });
    if (res.status === 404) throw new FunctionNotFoundError(name, 'POST', res.url, res.text);
    this.expect(res, [200, 202], `scaling ${name}`);
  }

  /**
   * ANY /function/NAME[/path]. The function's own status comes back as is; only the gateway's
   * "no such function" (404 from the scale-from-zero lookup) and 502 (function unreachable) throw.
   */
  async invoke(name: string, body?: Buffer | string, o: InvokeOptions = {}): Promise<InvokeResult> {
    const path = `/function/${encodeURIComponent(name)}${o.path ?? ''}${o.query ? `?${o.query}` : ''}`;
    const res = await this.request(o.method ?? 'POST', path, {
      auth: false,
      body,
      headers: o.headers,
      timeoutMs: o.timeoutMs,
    });
    if (res.status === 404 && res.text.startsWith('error finding function')) {
      throw new FunctionNotFoundError(name, res.method, res.url, res.text);
    }
    if (res.status === 502) {
      throw new GatewayError(
        `function ${name} did not answer through ${this.baseUrl} (502); run: edgefaas status`,
        res.method, res.url, 502, res.text,
      );
    }
    return { status: res.status, headers: res.headers, body: res.raw };
  }

  /** POST /async-function/NAME: queued; resolves with the X-Call-Id. */
  async invokeAsync(name: string, body?: Buffer | string, callbackUrl?: string): Promise<string> {
    const headers: Record<string, string> = callbackUrl ? { 'X-Callback-Url': callbackUrl } : {};
    const res = await this.request('POST', `/async-function/${encodeURIComponent(name)}`, { auth: false, body, headers });
    this.expect(res, [202], `queueing a call to ${name}`);
    return res.headers.get('x-call-id') ?? '';
  }

  private async request(
    method: string,
    path: string,
    o: { auth?: boolean; json?: unknown; body?: Buffer | string; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<Answer> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { 'User-Agent': 'edgefaas', ...(o.headers ?? {}) };
    let body: Buffer | string | undefined = o.body;
    if (o.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.json);
    }
    if (o.auth !== false && this.opts.auth) {
      headers.Authorization = basicAuthorization(this.opts.auth);
    }
    const started = Date.now();
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body),
        signal: AbortSignal.timeout(o.timeoutMs ?? this.timeoutMs),
      });
    } catch (e) {
      const why = fetchFailureReason(e);
      this.opts.debug?.(`${method} ${url} -> ${why}`);
      throw new GatewayUnreachableError(
        `gateway ${this.baseUrl} unreachable (${method} ${path}: ${why}); run: edgefaas status`,
        method, url, undefined, '', { cause: e },
      );
    }
    const raw = Buffer.from(await res.arrayBuffer());
    this.opts.debug?.(`${method} ${url} -> ${res.status} (${Date.now() - started} ms)`);
    return { method, url, status: res.status, headers: res.headers, raw, text: raw.toString('utf8') };
  }

  private expect(res: Answer, ok: number[], doing?: string): void {
    if (ok.includes(res.status)) return;
    const what = doing ?? `${res.method} ${new URL(res.url).pathname}`;
    if (res.status === 401) {
      throw new GatewayAuthError(
        this.opts.auth
          ? `gateway ${this.baseUrl} refused the password for user ${this.opts.auth.username} (401) while ${what}; check the gateway password file, then run: edgefaas status`
          : `gateway ${this.baseUrl} needs a password (401) while ${what}; run: edgefaas status`,
        res.method, res.url, 401, res.text,
      );
    }
    const body = res.text.trim();
    throw new GatewayError(
      `gateway ${this.baseUrl} answered ${res.status} while ${what}${body ? `: ${body}` : ''}`,
      res.method, res.url, res.status, res.text,
    );
  }

  private json<T>(res: Answer): T {
    try {
      return JSON.parse(res.text) as T;
    } catch (e) {
      throw new GatewayError(
        `gateway ${this.baseUrl} sent invalid JSON for ${res.method} ${new URL(res.url).pathname}`,
        res.method, res.url, res.status, res.text, { cause: e },
      );
    }
  }
}

interface Answer {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  raw: Buffer;
  text: string;
}
