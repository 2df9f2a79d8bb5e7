import type { ClusterSpec } from '../inventory/schema.ts';
import { parseImageRef, pinnedRef, refOf } from '../registry/reference.ts';
import { coverage, type NodeArch } from './coverage.ts';
import { accessForImage, registryAuthFor, registryClientFor } from './registry-access.ts';

/** What deploy sends instead of a tag: the digest the tag names now, and the credentials nodes pull it with. */
export interface PinnedImage {
  image: string;
  /** OpenFaaS's registryAuth (base64 user:password), when the registry takes credentials. */
  registryAuth?: string;
}

/**
 * Before a deploy: every node's platform must be in each image's manifest list, read with the image
 * registry's own TLS and credentials; the digest it names now is what runs, so a later push to the tag
 * changes nothing that runs.
 */
export async function pinForNodes(
  images: Iterable<string>,
  nodes: NodeArch[],
  spec: ClusterSpec,
  o: { env: NodeJS.ProcessEnv; debug?: (line: string) => void; log?: (line: string) => void },
): Promise<Map<string, PinnedImage>> {
  const pinned = new Map<string, PinnedImage>();
  for (const image of new Set(images)) {
    const ref = parseImageRef(image);
    const access = await accessForImage(ref, spec, o.env);
    const got = await coverage({ registry: registryClientFor(access, { debug: o.debug }), repository: ref.repository, reference: refOf(ref), nodes, image });
    pinned.set(image, { image: pinnedRef(image, got.digest), registryAuth: registryAuthFor(access) });
    o.log?.(`${image} covers ${got.platforms.join(', ')}: every node can run it`);
  }
  return pinned;
}
