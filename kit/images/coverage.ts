import type { ListEntry, RegistryClient } from '../registry/client.ts';

import { parsePlatform, platformMatches, platformString, type ImagePlatform } from './platforms.ts';

/** A node and its userland architecture (`dpkg --print-architecture`, from the doctor's probe). */
export interface NodeArch {
  node: string;
  arch: string;
}

export class PlatformNotCoveredError extends Error {
  override name = 'PlatformNotCoveredError';
  constructor(
    readonly image: string,
    readonly missing: Array<{ node: string; platform: string }>,
    readonly available: string[],
  ) {
    const who = missing.map((m) => `${m.node} (${m.platform})`).join(', ');
    super(
      `image ${image} has no build for node ${who}; it has ${available.join(', ') || 'none'}. ` +
        `Nothing was deployed. Run: edgefaas images push (it builds every platform in cluster.yaml)`,
    );
  }
}

export function platformsOf(entries: Array<Pick<ListEntry, 'platform'>>): string[] {
  return entries.map((e) => [e.platform.os, e.platform.architecture, e.platform.variant].filter(Boolean).join('/'));
}

/** Nodes whose platform no entry of the list runs on. */
export function uncoveredNodes(entries: Array<Pick<ListEntry, 'platform'>>, nodes: NodeArch[]): Array<{ node: string; platform: string }> {
  const missing: Array<{ node: string; platform: string }> = [];
  for (const n of nodes) {
    let p: ImagePlatform;
    try {
      p = parsePlatform(n.arch);
    } catch {
      missing.push({ node: n.node, platform: n.arch });
      continue;
    }
    if (!entries.some((e) => platformMatches(p, e.platform))) missing.push({ node: n.node, platform: platformString(p) });
  }
  return missing;
}

export class ImageNotFoundError extends Error {
  override name = 'ImageNotFoundError';
}

/**
 * Reads the image's manifest (list) from the registry and refuses, naming the node, when a node's
 * platform is missing. Returns the platforms and the digest the reference resolves to now: what deploy pins.
 */
export async function coverage(o: { registry: RegistryClient; repository: string; reference: string; nodes: NodeArch[]; image?: string }): Promise<{ platforms: string[]; digest: string }> {
  const image = o.image ?? `${o.registry.address}/${o.repository}${o.reference.startsWith('sha256:') ? '@' : ':'}${o.reference}`;
  const got = await o.registry.getManifest(o.repository, o.reference);
  if (!got) {
    throw new ImageNotFoundError(`image ${image} is not in registry ${o.registry.address} (no manifest ${o.repository}:${o.reference}); nothing was deployed. Push it first: edgefaas images push`);
  }
  const m = got.manifest;
  let entries: Array<Pick<ListEntry, 'platform'>>;
  if ('manifests' in m) entries = m.manifests;
  else {
    // A single-platform image: its config says which platform it is.
    const cfg = await o.registry.getBlobJson<{ os: string; architecture: string; variant?: string }>(o.repository, m.config.digest);
    entries = [{ platform: { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) } }];
  }
  const missing = uncoveredNodes(entries, o.nodes);
  if (missing.length) throw new PlatformNotCoveredError(image, missing, platformsOf(entries));
  return { platforms: platformsOf(entries), digest: got.digest };
}

export async function checkCoverage(o: { registry: RegistryClient; repository: string; reference: string; nodes: NodeArch[] }): Promise<string[]> {
  return (await coverage(o)).platforms;
}
