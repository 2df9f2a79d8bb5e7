import { describe, expect, it } from 'vitest';
import { ARCH_TABLE, platformFor } from './arch.ts';

describe('platformFor', () => {
  it.each([
    ['aarch64', 'arm64', 'linux/arm64'],
    ['aarch64', 'armhf', 'linux/arm/v7'],
    ['armv7l', 'armhf', 'linux/arm/v7'],
    ['armv6l', 'armhf', 'linux/arm/v7'],
    ['x86_64', 'amd64', 'linux/amd64'],
    ['aarch64', null, 'linux/arm64'],
    ['armv7l', null, 'linux/arm/v7'],
    ['armv6l', null, 'linux/arm/v7'],
    ['x86_64', null, 'linux/amd64'],
  ] as const)('kernel %s with userland %s pulls %s', (kernel, userland, platform) => {
    expect(platformFor(kernel, userland)).toBe(platform);
  });

  it('has a test above for every row of the table', () => {
    expect(ARCH_TABLE).toHaveLength(9);
  });

  it('gives no platform for an architecture without images', () => {
    expect(platformFor('riscv64', 'riscv64')).toBeNull();
    expect(platformFor('x86_64', 'i386')).toBeNull();
  });
});
