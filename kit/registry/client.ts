import { createHash } from 'node:crypto';
import { HttpApiError } from '../http/api-error.ts';
import { basicAuthorization, fetchFailureReason } from '../http/request.ts';

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

export interface RegistryClientOptions {
  /** host:port as in image references, e.g. 10.99.0.11:5000; plain HTTP unless https is set. */
  address: string;
  https?: boolean;
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
  private readonly base: string;
  private readonly fetchFn: typeof globalThis.fetch;

  constructor(private readonly opts: RegistryClientOptions) {
    this.address = opts.address.replace(/\/+$/, '');
    this.base = `${opts.https ? 'https' : 'http'}://${this.address}`;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  /** GET /v2/: true when the registry answers as a v2 registry. */
  async ping(): Promise<boolean> {
    const res = await this.request('GET', '/v2/');
    return res.status === 200;
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
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (this.opts.auth) {
      headers.Authorization = basicAuthorization(this.opts.auth);
    }
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
      const why = fetchFailureReason(e);
      throw new RegistryError(
        `registry ${this.address} unreachable (${method} ${new URL(url).pathname}: ${why}); is it running? run: edgefaas status`,
        method, url, undefined, '', { cause: e },
      );
    }
    const body = Buffer.from(await res.arrayBuffer());
    this.opts.debug?.(`${method} ${new URL(url).pathname} -> ${res.status} (${Date.now() - started} ms)`);
    return { method, url, status: res.status, headers: res.headers, body };
  }

  private fail(res: { method: string; url: string; status: number; body: Buffer }, doing: string): RegistryError {
    const text = res.body.toString('utf8').trim().slice(0, 500);
    const hint = res.status === 401 ? '; the registry wants a login' : '';
    return new RegistryError(
      `registry ${this.address} answered ${res.status} while ${doing}${text ? `: ${text}` : ''}${hint}`,
      res.method, res.url, res.status, text,
    );
  }
}
