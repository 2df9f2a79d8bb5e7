import { describe, expect, it } from 'vitest';
import { PlatformNotCoveredError, uncoveredNodes } from './coverage.ts';

const list = [
  { platform: { os: 'linux', architecture: 'amd64' } },
  { platform: { os: 'linux', architecture: 'arm64' } },
];

describe('manifest list coverage', () => {
  it('names each node whose platform the list lacks', () => {
    const nodes = [
      { node: 'x86-1', arch: 'amd64' },
      { node: 'pi-4', arch: 'arm64' },
      { node: 'pi-2', arch: 'armhf' },
    ];
    expect(uncoveredNodes(list, nodes)).toEqual([{ node: 'pi-2', platform: 'linux/arm/v7' }]);
  });

  it('passes when every node is covered', () => {
    expect(uncoveredNodes(list, [{ node: 'a', arch: 'amd64' }, { node: 'b', arch: 'aarch64' }])).toEqual([]);
  });

  it('reports an architecture edgefaas has no image for as uncovered', () => {
    expect(uncoveredNodes(list, [{ node: 'rv', arch: 'riscv64' }])).toEqual([{ node: 'rv', platform: 'riscv64' }]);
  });

  it('refuses with a message naming the node, what the image has, and what to run', () => {
    const e = new PlatformNotCoveredError('10.0.0.1:5000/edgefaas/function:abc', [{ node: 'pi-2', platform: 'linux/arm/v7' }], ['linux/amd64']);
    expect(e.message).toBe(
      'image 10.0.0.1:5000/edgefaas/function:abc has no build for node pi-2 (linux/arm/v7); it has linux/amd64. ' +
        'Nothing was deployed. Run: edgefaas images push (it builds every platform in cluster.yaml)',
    );
  });
});
