/**
 * Which image platform a node pulls. The userland (dpkg) decides: a 64-bit kernel under 32-bit
 * Raspberry Pi OS is common, and such a node runs linux/arm/v7 images. One row per case, one test per row.
 */
export interface ArchRow {
  kernel: string;
  userland: string | null;
  platform: string;
  note?: string;
}

export const ARCH_TABLE: readonly ArchRow[] = [
  { kernel: 'aarch64', userland: 'arm64', platform: 'linux/arm64' },
  { kernel: 'aarch64', userland: 'armhf', platform: 'linux/arm/v7', note: '64-bit kernel under a 32-bit userland' },
  { kernel: 'armv7l', userland: 'armhf', platform: 'linux/arm/v7' },
  { kernel: 'armv6l', userland: 'armhf', platform: 'linux/arm/v7' },
  { kernel: 'x86_64', userland: 'amd64', platform: 'linux/amd64' },
  // No dpkg (not Debian-like): the kernel decides.
  { kernel: 'aarch64', userland: null, platform: 'linux/arm64' },
  { kernel: 'armv7l', userland: null, platform: 'linux/arm/v7' },
  { kernel: 'armv6l', userland: null, platform: 'linux/arm/v7' },
  { kernel: 'x86_64', userland: null, platform: 'linux/amd64' },
];

/** The image platform for a node, or null when the kit has no image for it. */
export function platformFor(kernel: string, userland: string | null): string | null {
  return ARCH_TABLE.find((r) => r.kernel === kernel && r.userland === userland)?.platform ?? null;
}
