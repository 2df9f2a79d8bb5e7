import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { atomicWrite } from '../inventory/write.ts';
import { MEDIA, sha256Digest, type Descriptor, type ImageManifest, type ListEntry, type RegistryClient } from '../registry/client.ts';
import type { ImagePlatform } from './platforms.ts';
import { platformString } from './platforms.ts';

const gzipAsync = promisify(gzip);

export interface PushedImage {
  platform: string;
  /** The platform manifest's digest. */
  digest: string;
  manifestSize: number;
  /** Config plus compressed layers: what a node downloads. */
  size: number;
  /** Bytes this push sent (blobs the registry lacked, plus the manifest). */
  pushedBytes: number;
  layers: Array<Descriptor & { pushed: boolean }>;
}

export interface PushedList {
  reference: string;
  digest: string;
  images: PushedImage[];
  pushedBytes: number;
}

/** uncompressed layer digest (diff id) -> its gzip blob, so unchanged layers are neither gzipped nor sent again. */
type BlobCache = Record<string, { digest: string; size: number }>;

async function readCache(path: string | undefined): Promise<BlobCache> {
  if (!path) return {};
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as BlobCache;
  } catch {
    return {};
  }
}

async function writeCache(path: string | undefined, cache: BlobCache): Promise<void> {
  if (!path) return;
  await fs.mkdir(dirname(path), { recursive: true });
  await atomicWrite(path, JSON.stringify(cache));
}

/** Where images go, and what a push remembers between runs (layer digests) and reports. */
export interface PushTarget {
  registry: RegistryClient;
  repository: string;
  blobCacheFile?: string;
  log?: (line: string) => void;
}

/**
 * Pushes one image from `docker save` through the registry API: each layer gzipped
 * deterministically (same bytes in, same digest out), sent only when the registry lacks it,
 * then the config and the platform's manifest (stored by digest).
 */
export async function pushImage(o: PushTarget & { saved: Readable; platform: ImagePlatform }): Promise<PushedImage> {
  const cache = await readCache(o.blobCacheFile);
  const layerByPath = new Map<string, Descriptor & { pushed: boolean }>();
  const small = new Map<string, Buffer>();
  let pushedBytes = 0;

  const pushLayer = async (data: Buffer): Promise<Descriptor & { pushed: boolean }> => {
    const diffId = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const known = cache[diffId];
    if (known && (await o.registry.hasBlob(o.repository, known.digest))) return { mediaType: MEDIA.layer, ...known, pushed: false };
    const gz = await gzipAsync(data, { level: 6 });
    const desc = { mediaType: MEDIA.layer, digest: sha256Digest(gz), size: gz.length };
    cache[diffId] = { digest: desc.digest, size: desc.size };
    if (await o.registry.hasBlob(o.repository, desc.digest)) return { ...desc, pushed: false };
    o.log?.(`${platformString(o.platform)}: pushing layer ${desc.digest.slice(7, 19)} (${mb(desc.size)})`);
    await o.registry.uploadBlob(o.repository, gz, desc.digest);
    pushedBytes += desc.size;
    return { ...desc, pushed: true };
  };

  // Docker 20.10 saves <id>/layer.tar; Docker 25+ an OCI layout (blobs/sha256/...) whose
  // manifest.json names the same blobs. Big entries are layers; small ones wait for manifest.json.
  const ex = extract();
  o.saved.on('error', (e) => ex.destroy(e));
  o.saved.pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    const data = Buffer.concat(chunks);
    const name = entry.header.name;
    if (entry.header.type !== 'file') continue;
    if (name.endsWith('/layer.tar') || data.length >= 1 << 20) layerByPath.set(name, await pushLayer(data));
    else small.set(name, data);
  }
  await writeCache(o.blobCacheFile, cache);

  const manifestJson = small.get('manifest.json');
  if (!manifestJson) throw new Error(`docker save of ${platformString(o.platform)} had no manifest.json`);
  const [saved] = JSON.parse(manifestJson.toString('utf8')) as Array<{ Config: string; Layers: string[] }>;
  const config = saved && small.get(saved.Config);
  if (!saved || !config) throw new Error(`docker save of ${platformString(o.platform)} had no image config`);
  const layers: Array<Descriptor & { pushed: boolean }> = [];
  for (const path of saved.Layers) {
    let l = layerByPath.get(path);
    if (!l && small.has(path)) l = await pushLayer(small.get(path)!);
    if (!l) throw new Error(`docker save of ${platformString(o.platform)} lacks layer ${path}`);
    layers.push(l);
  }
  await writeCache(o.blobCacheFile, cache);

  const configDesc: Descriptor = { mediaType: MEDIA.config, digest: sha256Digest(config), size: config.length };
  if (!(await o.registry.hasBlob(o.repository, configDesc.digest))) {
    await o.registry.uploadBlob(o.repository, config, configDesc.digest);
    pushedBytes += config.length;
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: configDesc,
    layers: layers.map(({ mediaType, size, digest }) => ({ mediaType, size, digest })),
  };
  const body = Buffer.from(JSON.stringify(manifest));
  const put = await o.registry.putManifest(o.repository, sha256Digest(body), manifest);
  pushedBytes += put.size;
  return {
    platform: platformString(o.platform),
    digest: put.digest,
    manifestSize: put.size,
    size: config.length + layers.reduce((n, l) => n + l.size, 0),
    pushedBytes,
    layers,
  };
}

/** Joins pushed platform images under one tag as a manifest list. */
export async function pushList(o: {
  registry: RegistryClient;
  repository: string;
  tag: string;
  images: Array<{ platform: ImagePlatform; pushed: PushedImage }>;
}): Promise<PushedList> {
  const manifests: ListEntry[] = o.images.map(({ platform, pushed }) => ({
    mediaType: MEDIA.manifest,
    size: pushed.manifestSize,
    digest: pushed.digest,
    platform: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}) },
  }));
  const put = await o.registry.putManifest(o.repository, o.tag, { schemaVersion: 2, mediaType: MEDIA.list, manifests });
  return {
    reference: `${o.registry.address}/${o.repository}:${o.tag}`,
    digest: put.digest,
    images: o.images.map((i) => i.pushed),
    pushedBytes: o.images.reduce((n, i) => n + i.pushed.pushedBytes, 0) + put.size,
  };
}

export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
