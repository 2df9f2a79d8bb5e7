/**
 * Which image platform a node pulls. The userland (dpkg) decides: a 64-bit kernel under 32-bit
 * Raspberry Pi OS is common, and such a node runs linux/arm/v7 images. ARMv6 boards (Pi Zero, Pi 1)
 * get none: every armhf image the kit and OpenFaaS publish is ARMv7 and dies there with SIGILL.
 * One row per case, one test per row.
 */
export interface ArchRow {
  kernel: string;
  userland: string | null;
  platform: string | null;
  note?: string;
}

export const ARCH_TABLE: readonly ArchRow[] = [
  { kernel: 'aarch64', userland: 'arm64', platform: 'linux/arm64' },
  { kernel: 'aarch64', userland: 'armhf', platform: 'linux/arm/v7', note: '64-bit kernel under a 32-bit userland' },
  { kernel: 'armv7l', userland: 'armhf', platform: 'linux/arm/v7' },
  { kernel: 'armv6l', userland: 'armhf', platform: null, note: 'ARMv6 (Pi Zero, Pi 1): ARMv7 images die with SIGILL' },
  { kernel: 'x86_64', userland: 'amd64', platform: 'linux/amd64' },
  // No dpkg (not Debian-like): the kernel decides.
  { kernel: 'aarch64', userland: null, platform: 'linux/arm64' },
  { kernel: 'armv7l', userland: null, platform: 'linux/arm/v7' },
  { kernel: 'armv6l', userland: null, platform: null, note: 'ARMv6 (Pi Zero, Pi 1): ARMv7 images die with SIGILL' },
  { kernel: 'x86_64', userland: null, platform: 'linux/amd64' },
];

/** The image platform for a node, or null when the kit has no image for it. */
export function platformFor(kernel: string, userland: string | null): string | null {
  return ARCH_TABLE.find((r) => r.kernel === kernel && r.userland === userland)?.platform ?? null;
}

/** Why a node gets no image, said so the user knows what to do. */
export function noImageReason(node: string, kernel: string, userland: string | null): string {
  if (kernel === 'armv6l') {
    return `${node} is an ARMv6 board (Pi Zero or Pi 1): the function and OpenFaaS images are ARMv7 and die there with SIGILL (illegal instruction); use a Pi 2 or newer (a Pi Zero 2 W works) and remove ${node} from cluster.yaml`;
  }
  return `${node}: no image for ${kernel}/${userland ?? 'no dpkg'}: use an arm64, armhf (ARMv7) or amd64 OS`;
}
