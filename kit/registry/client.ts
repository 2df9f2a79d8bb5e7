import { createHash } from 'node:crypto';
import { Agent, fetch as undiciFetch } from 'undici';
import { HttpApiError } from '../http/api-error.ts';
import { basicAuthorization, fetchFailureReason } from '../http/request.ts';
import { fetchToken, parseChallenge, RegistryAuthError } from './auth.ts';

export const MEDIA = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
} as const;

export interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ListEntry extends Descriptor {
  platform: { architecture: string; os: string; variant?: string };
}

export interface ManifestList {
  schemaVersion: 2;
  mediaType: string;
  manifests: ListEntry[];
}

/**
 * How to reach a registry: `verify` HTTPS with the system's CAs (plus `ca`), `insecure` as Docker's
 * insecure-registries (HTTPS without checking the certificate, else plain HTTP), `none` plain HTTP.
 */
export type RegistryTls = 'verify' | 'insecure' | 'none';

export interface RegistryClientOptions {
  /** host:port as in image references, e.g. 10.99.0.11:5000. */
  address: string;
  /** Default: plain HTTP on loopback (as Docker trusts 127.0.0.0/8), verified HTTPS anywhere else. */
  tls?: RegistryTls;
  /** PEM of a private CA the registry's certificate is signed by. */
  ca?: string;
  /** Sent only when the registry asks (Basic challenge, or to its token service for a Bearer one). */
  auth?: { username: string; password: string };
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  debug?: (line: string) => void;
}

export class RegistryError extends HttpApiError {
  override name = 'RegistryError';
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A client for the registry HTTP API v2 (the parts a push and a platform check need). */
export class RegistryClient {
  readonly address: string;
  private readonly fetchFn: typeof globalThis.fetch;

  private base: string;
  private readonly tls: RegistryTls;
  private fellBackToHttp = false;
  /** What the registry asked for last: basic credentials, or a bearer token per scope. */
  private authorization: string | undefined;

  constructor(private readonly opts: RegistryClientOptions) {
    this.address = opts.address.replace(/\/+$/, '');
    this.tls = opts.tls ?? defaultTls(this.address);
    this.base = `${this.tls === 'none' ? 'http' : 'https'}://${this.address}`;
    if (opts.fetch) this.fetchFn = opts.fetch;
    else if (this.tls === 'none') this.fetchFn = globalThis.fetch;
    else {
      const dispatcher = new Agent({ connect: { ...(opts.ca ? { ca: opts.ca } : {}), rejectUnauthorized: this.tls === 'verify' } });
      this.fetchFn = ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher } as never)) as unknown as typeof globalThis.fetch;
    }
  }

  /** The scheme and host the client talks to (https://... unless the registry is plain HTTP). */
  get url(): string {
    return this.base;
  }

  /** GET /v2/: true when the registry answers as a v2 registry (a 401 asking for a login counts). */
  async ping(): Promise<boolean> {
    const res = await this.send('GET', '/v2/', {}, undefined);
    return res.status === 200 || res.status === 401;
  }

  /** GET /v2/ with the credentials: throws a RegistryAuthError naming the registry when they are refused. */
  async login(): Promise<void> {
    const res = await this.request('GET', '/v2/');
    if (res.status !== 200) throw this.fail(res, 'checking the login');
  }

  /** HEAD /v2/NAME/blobs/DIGEST */
  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.fail(res, `checking blob ${digest.slice(0, 19)} in ${repo}`);
  }

  /** POST /v2/NAME/blobs/uploads/ then a monolithic PUT ?digest=; returns the digest. */
  async uploadBlob(repo: string, data: Buffer, digest = sha256Digest(data)): Promise<string> {
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202) throw this.fail(start, `starting an upload to ${repo}`);
    const location = start.headers.get('location');
    if (!location) throw this.fail(start, `starting an upload to ${repo} (no Location header)`);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const put = await this.request('PUT', url.toString(), {
      body: data,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
    });
    if (put.status !== 201) throw this.fail(put, `uploading blob ${digest.slice(0, 19)} (${data.length} bytes) to ${repo}`);
    return digest;
  }

  /** PUT /v2/NAME/manifests/REF; returns the manifest's digest. */
  async putManifest(repo: string, ref: string, manifest: ImageManifest | ManifestList): Promise<{ digest: string; size: number }> {
    const body = Buffer.from(JSON.stringify(manifest));
    const res = await this.request('PUT', `/v2/${repo}/manifests/${ref}`, {
      body,
      headers: { 'Content-Type': manifest.mediaType },
    });
    if (res.status !== 201) throw this.fail(res, `storing manifest ${repo}:${ref}`);
    return { digest: res.headers.get('docker-content-digest') ?? sha256Digest(body), size: body.length };
  }

  /** GET /v2/NAME/manifests/REF, list or image manifest; undefined when the registry has no such ref. */
  async getManifest(repo: string, ref: string): Promise<{ digest: string; manifest: ImageManifest | ManifestList } | undefined> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${ref}`, {
      headers: { Accept: [MEDIA.list, MEDIA.ociIndex, MEDIA.manifest, MEDIA.ociManifest].join(', ') },
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw this.fail(res, `reading manifest ${repo}:${ref}`);
    try {
      return { digest: res.headers.get('docker-content-digest') ?? sha256Digest(res.body), manifest: JSON.parse(res.body.toString('utf8')) };
    } catch (e) {
      throw new RegistryError(`registry ${this.address} sent an invalid manifest for ${repo}:${ref}`, 'GET', repo, 200, '', { cause: e });
    }
  }

  /** GET /v2/NAME/blobs/DIGEST as JSON (image configs). */
  async getBlobJson<T>(repo: string, digest: string): Promise<T> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`);
    if (res.status !== 200) throw this.fail(res, `reading blob ${digest.slice(0, 19)} of ${repo}`);
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  private async request(
    method: string,
    pathOrUrl: string,
    o: { body?: Buffer; headers?: Record<string, string> } = {},
  ): Promise<{ method: string; url: string; status: number; headers: Headers; body: Buffer }> {
    let res = await this.send(method, pathOrUrl, o, this.authorization);
    if (res.status !== 401) return res;
    // Asked to authenticate: answer the challenge once, then retry (bodies are buffers, so resendable).
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    if (!challenge) return res;
    const timeoutMs = this.opts.timeoutMs ?? 600_000;
    if (challenge.scheme === 'basic') {
      if (!this.opts.auth) throw this.loginNeeded(res);
      this.authorization = basicAuthorization(this.opts.auth);
    } else {
      const token = await fetchToken({ registry: this.address, challenge, auth: this.opts.auth, fetch: this.fetchFn, timeoutMs: Math.min(timeoutMs, 60_000) });
      this.authorization = `Bearer ${token}`;
    }
    res = await this.send(method, pathOrUrl, o, this.authorization);
    if (res.status === 401) throw this.opts.auth ? this.refused(res) : this.loginNeeded(res);
    return res;
  }

  private async send(
    method: string,
    pathOrUrl: string,
    o: { body?: Buffer; headers?: Record<string, string> },
    authorization: string | undefined,
  ): Promise<{ method: string; url: string; status: number; headers: Headers; body: Buffer }> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    // Credentials go only to the registry itself, never to a redirect's blob store.
    if (authorization && new URL(url).host === new URL(this.base).host) headers.Authorization = authorization;
    const started = Date.now();
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        body: o.body as unknown as BodyInit | undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 600_000),
      });
    } catch (e) {
      // Docker's insecure-registries: HTTPS without checks first, plain HTTP when HTTPS is not spoken.
      if (this.tls === 'insecure' && !this.fellBackToHttp && url.startsWith('https://')) {
        this.fellBackToHttp = true;
        this.base = `http://${this.address}`;
        return this.send(method, url.replace(/^https:/, 'http:'), o, authorization);
      }
      const why = fetchFailureReason(e);
      const tlsHint = /certificate|self.signed|CERT_|unable to verify/i.test(why)
        ? `; its certificate is not trusted here: give the CA that signed it (registry.ca in cluster.yaml), or write registry.insecure: true to turn checks off`
        : '; is it running? run: edgefaas status';
      throw new RegistryError(
        `registry ${this.address} unreachable (${method} ${new URL(url).pathname}: ${why})${tlsHint}`,
        method, url, undefined, '', { cause: e },
      );
    }
    const body = Buffer.from(await res.arrayBuffer());
    this.opts.debug?.(`${method} ${new URL(url).pathname} -> ${res.status} (${Date.now() - started} ms)`);
    return { method, url, status: res.status, headers: res.headers, body };
  }

  private loginNeeded(res: { status: number }): RegistryAuthError {
    return new RegistryAuthError(
      `registry ${this.address} wants a login (${res.status}) and no credentials were given for it; run: docker login ${this.address}, or set registry.username and registry.password in cluster.yaml`,
      this.address,
      res.status,
    );
  }

  private refused(res: { status: number; body: Buffer }): RegistryAuthError {
    const text = res.body.toString('utf8').trim().slice(0, 200);
    return new RegistryAuthError(
      `registry ${this.address} refused the credentials of user ${this.opts.auth!.username} (${res.status}${text ? `: ${text}` : ''}); check the user and password for ${this.address}`,
      this.address,
      res.status,
    );
  }

  private fail(res: { method: string; url: string; status: number; body: Buffer }, doing: string): RegistryError {
    const text = res.body.toString('utf8').trim().slice(0, 500);
    const hint = res.status === 403 ? `; user ${this.opts.auth?.username ?? '(anonymous)'} may not do this` : '';
    return new RegistryError(
      `registry ${this.address} answered ${res.status} while ${doing}${text ? `: ${text}` : ''}${hint}`,
      res.method, res.url, res.status, text,
    );
  }
}

/** Plain HTTP on loopback (as Docker trusts 127.0.0.0/8), verified HTTPS anywhere else. */
export function defaultTls(address: string): RegistryTls {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host) ? 'none' : 'verify';
}
