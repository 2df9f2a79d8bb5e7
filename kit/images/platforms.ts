/**
 * The platforms edgefaas builds function images for: one row per Debian userland architecture.
 * A new board family is one row here and one test.
 */
export interface ImagePlatform {
  /** `dpkg --print-architecture` on the node (the userland, which is what runs the image). */
  debianArch: 'amd64' | 'armhf' | 'arm64';
  /** OCI platform as written in manifest lists. */
  os: 'linux';
  architecture: 'amd64' | 'arm' | 'arm64';
  variant?: 'v7';
  /** npm's --cpu for prebuilt binaries (sharp's @img/sharp-linux-*). */
  npmCpu: 'x64' | 'arm' | 'arm64';
  /** `uname -m` of a kernel that runs this userland natively. */
  machines: string[];
  /** Folder under images/ holding the Dockerfile. */
  dockerfileDir: string;
  /** The image carries onnxruntime-node (its binary exists for x64 and arm64 only) and the ONNX model. */
  onnxRuntime: boolean;
}

export const PLATFORMS: readonly ImagePlatform[] = [
  { debianArch: 'amd64', os: 'linux', architecture: 'amd64', npmCpu: 'x64', machines: ['x86_64'], dockerfileDir: 'images/amd64', onnxRuntime: true },
  { debianArch: 'armhf', os: 'linux', architecture: 'arm', variant: 'v7', npmCpu: 'arm', machines: ['armv7l'], dockerfileDir: 'images/armhf', onnxRuntime: false },
  { debianArch: 'arm64', os: 'linux', architecture: 'arm64', npmCpu: 'arm64', machines: ['aarch64', 'arm64'], dockerfileDir: 'images/arm64', onnxRuntime: true },
];

export class UnknownPlatformError extends Error {
  override name = 'UnknownPlatformError';
}

/** "linux/arm/v7" for a row. */
export function platformString(p: Pick<ImagePlatform, 'os' | 'architecture' | 'variant'>): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

export function platformByDebianArch(arch: string, where = ''): ImagePlatform {
  const p = PLATFORMS.find((r) => r.debianArch === arch.trim());
  if (!p) {
    throw new UnknownPlatformError(
      `${where ? `${where}: ` : ''}userland architecture "${arch}" has no function image (supported: ${PLATFORMS.map((r) => r.debianArch).join(', ')})`,
    );
  }
  return p;
}

/** Accepts "linux/arm/v7", "arm/v7", "armhf", "arm64", "amd64", "x86_64", "aarch64", "armv7l". */
export function parsePlatform(text: string): ImagePlatform {
  const t = text.trim().toLowerCase();
  const p = PLATFORMS.find(
    (r) =>
      r.debianArch === t ||
      r.machines.includes(t) ||
      platformString(r) === t ||
      platformString(r) === `linux/${t}` ||
      (r.variant && `linux/${r.architecture}` === t),
  );
  if (!p) {
    throw new UnknownPlatformError(
      `unknown platform "${text}"; use one of ${PLATFORMS.map((r) => `${platformString(r)} (${r.debianArch})`).join(', ')}`,
    );
  }
  return p;
}

/** Does a manifest-list entry's platform run on this row? arm without a variant is taken as v7. */
export function platformMatches(p: ImagePlatform, entry: { os?: string; architecture?: string; variant?: string }): boolean {
  if (entry.os !== p.os || entry.architecture !== p.architecture) return false;
  if (p.architecture === 'arm') return (entry.variant ?? 'v7') === p.variant;
  return true;
}
