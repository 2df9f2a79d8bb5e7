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
        `Nothing was deployed. Run: edgefaas images build --push (it builds every platform in cluster.yaml)`,
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

/** Reads the image's manifest list from the registry and refuses, naming the node, when a node's platform is missing. */
export async function checkCoverage(o: { registry: RegistryClient; repository: string; reference: string; nodes: NodeArch[] }): Promise<string[]> {
  const image = `${o.registry.address}/${o.repository}:${o.reference}`;
  const got = await o.registry.getManifest(o.repository, o.reference);
  if (!got) throw new PlatformNotCoveredError(image, o.nodes.map((n) => ({ node: n.node, platform: n.arch })), []);
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
  return platformsOf(entries);
}

