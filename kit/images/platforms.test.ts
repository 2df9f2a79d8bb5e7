import { describe, expect, it } from 'vitest';
import { PLATFORMS, parsePlatform, platformByDebianArch, platformMatches, platformString } from './platforms.ts';

describe('image platforms', () => {
  const rows: Array<[debianArch: string, machine: string, platform: string, npmCpu: string, onnxRuntime: boolean]> = [
    ['amd64', 'x86_64', 'linux/amd64', 'x64', true],
    ['armhf', 'armv7l', 'linux/arm/v7', 'arm', false],
    ['arm64', 'aarch64', 'linux/arm64', 'arm64', true],
  ];
  it.each(rows)('%s userland is %s / %s with npm --cpu=%s, ONNX Runtime %s', (arch, machine, platform, cpu, ort) => {
    const p = platformByDebianArch(arch);
    expect(p.onnxRuntime).toBe(ort);
    expect(platformString(p)).toBe(platform);
    expect(p.npmCpu).toBe(cpu);
    expect(parsePlatform(machine)).toBe(p);
    expect(parsePlatform(platform)).toBe(p);
    expect(p.dockerfileDir).toBe(`images/${arch}`);
  });

  it('has exactly the three platforms the issue names', () => {
    expect(PLATFORMS.map(platformString)).toEqual(['linux/amd64', 'linux/arm/v7', 'linux/arm64']);
  });

  it('refuses an architecture it has no image for, listing the ones it has', () => {
    expect(() => platformByDebianArch('riscv64', 'node rv-1')).toThrow(/node rv-1: userland architecture "riscv64" has no function image \(supported: amd64, armhf, arm64\)/);
    expect(() => parsePlatform('linux/s390x')).toThrow(/unknown platform "linux\/s390x"/);
  });

  it('matches manifest-list entries: arm needs v7, arm64 is not arm', () => {
    const armhf = platformByDebianArch('armhf');
    expect(platformMatches(armhf, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(true);
    expect(platformMatches(armhf, { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(false);
    expect(platformMatches(armhf, { os: 'linux', architecture: 'arm64' })).toBe(false);
    expect(platformMatches(platformByDebianArch('arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
    expect(platformMatches(platformByDebianArch('amd64'), { os: 'windows', architecture: 'amd64' })).toBe(false);
  });
});
