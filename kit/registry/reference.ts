/**
 * Image references as Docker reads them: "ubuntu", "user/app:1", "ghcr.io/o/app:1",
 * "10.0.0.2:5000/edgefaas/function:abc@sha256:...". A first component with a dot, a colon or
 * "localhost" is a registry host; otherwise the image is on Docker Hub (library/ for one component).
 */
export interface ImageRef {
  /** The registry as users and config.json name it: "docker.io", "ghcr.io", "10.0.0.2:5000". */
  registry: string;
  /** The host:port its API answers on (Docker Hub's is registry-1.docker.io). */
  apiHost: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export class ImageRefError extends Error {
  override name = 'ImageRefError';
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export function parseImageRef(ref: string): ImageRef {
  const text = ref.trim();
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new ImageRefError(`image ${ref}: "${digest}" is not a sha256 digest (sha256: and 64 hex digits)`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new ImageRefError(`image ${ref}: "${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost' || parts[0]!.startsWith('['))) {
    registry = parts.shift()!;
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const p of parts) {
    if (!COMPONENT.test(p)) throw new ImageRefError(`image ${ref}: "${p}" is not a valid repository name component (lower-case letters, digits, . _ -)`);
  }
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository: parts.join('/'), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** What to ask the registry for: the digest when pinned, else the tag (default latest). */
export function refOf(r: ImageRef): string {
  return r.digest ?? r.tag ?? 'latest';
}

/** name:tag@digest, the form deploy sends: the tag is for people, the digest is what runs. */
export function pinnedRef(image: string, digest: string): string {
  const at = image.indexOf('@');
  return `${at >= 0 ? image.slice(0, at) : image}@${digest}`;
}
