import { describe, expect, it } from 'vitest';
import { ARCH_TABLE, noImageReason, platformFor } from './arch.ts';

describe('platformFor', () => {
  it.each([
    ['aarch64', 'arm64', 'linux/arm64'],
    ['aarch64', 'armhf', 'linux/arm/v7'],
    ['armv7l', 'armhf', 'linux/arm/v7'],
    ['armv6l', 'armhf', null],
    ['x86_64', 'amd64', 'linux/amd64'],
    ['aarch64', null, 'linux/arm64'],
    ['armv7l', null, 'linux/arm/v7'],
    ['armv6l', null, null],
    ['x86_64', null, 'linux/amd64'],
  ] as const)('kernel %s with userland %s pulls %s', (kernel, userland, platform) => {
    expect(platformFor(kernel, userland)).toBe(platform);
  });

  it('has a test above for every row of the table', () => {
    expect(ARCH_TABLE).toHaveLength(9);
  });

  it('refuses ARMv6 (Pi Zero, Pi 1) with the reason and what to use instead', () => {
    expect(noImageReason('pi-0', 'armv6l', 'armhf')).toBe(
      'pi-0 is an ARMv6 board (Pi Zero or Pi 1): the function and OpenFaaS images are ARMv7 and die there with SIGILL (illegal instruction); use a Pi 2 or newer (a Pi Zero 2 W works) and remove pi-0 from cluster.yaml',
    );
  });

  it('gives no platform for an architecture without images', () => {
    expect(platformFor('riscv64', 'riscv64')).toBeNull();
    expect(platformFor('x86_64', 'i386')).toBeNull();
  });
});
