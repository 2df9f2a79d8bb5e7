import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAirgap, parseChecksums } from './airgap.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The user's airgap files as k3s publishes them: k3s, k3s-airgap-images-amd64.tar.zst, sha256sum-amd64.txt. */
describe('airgap files are checked here before any node is touched', () => {
  let dir: string;
  let binary: Buffer;
  const images = Buffer.from('not really a tarball, but bytes with a digest');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefaas-airgap-'));
    binary = await fs.readFile('/bin/true'); // an x86_64 ELF, as k3s for amd64 is
    await fs.writeFile(join(dir, 'k3s'), binary);
    await fs.writeFile(join(dir, 'k3s-airgap-images-amd64.tar.zst'), images);
    await fs.writeFile(join(dir, 'install.sh'), '#!/bin/sh\nexit 1\n');
    await fs.writeFile(join(dir, 'sha256sum-amd64.txt'), `${sha(binary)}  k3s\n${sha(images)}  k3s-airgap-images-amd64.tar.zst\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const files = () => ({ binary: join(dir, 'k3s'), images: join(dir, 'k3s-airgap-images-amd64.tar.zst'), checksums: join(dir, 'sha256sum-amd64.txt') });

  it('accepts files whose digests match the sha256 file, for nodes of the binary\'s arch', async () => {
    const a = await checkAirgap(files(), [{ node: 'pi-1', arch: 'x86_64' }]);
    expect(a.binary).toMatchObject({ sha256: sha(binary), arch: 'x86_64' });
    expect(a.images.sha256).toBe(sha(images));
  });

  it('refuses a binary path that does not exist, naming the flag', async () => {
    await expect(checkAirgap({ ...files(), binary: join(dir, 'nope', 'k3s') })).rejects.toThrow(/^--k3s-binary .*nope\/k3s: no such file .*nothing was changed/);
  });

  it('refuses a file whose digest differs from the sha256 file', async () => {
    const bad = join(dir, 'bad-sums.txt');
    await fs.writeFile(bad, `${sha(binary)}  k3s\n${'0'.repeat(64)}  k3s-airgap-images-amd64.tar.zst\n`);
    await expect(checkAirgap({ ...files(), checksums: bad })).rejects.toThrow(/k3s-airgap-images-amd64\.tar\.zst: sha256 [0-9a-f]{64} does not match 0{64}/);
  });

  it('refuses a file the sha256 file does not list', async () => {
    const partial = join(dir, 'partial.txt');
    await fs.writeFile(partial, `${sha(binary)}  k3s\n`);
    await expect(checkAirgap({ ...files(), checksums: partial })).rejects.toThrow(/lists no sha256 for k3s-airgap-images-amd64\.tar\.zst/);
  });

  it('refuses a binary for another architecture than a node\'s', async () => {
    await expect(checkAirgap(files(), [{ node: 'pi-2', arch: 'aarch64' }])).rejects.toThrow(/is for x86_64 but pi-2 is aarch64/);
  });

  it('reads sha256sum\'s text and binary formats', () => {
    const m = parseChecksums(`${'a'.repeat(64)}  k3s\n${'B'.repeat(64)} *dir/k3s-airgap-images-arm64.tar.gz\njunk\n`);
    expect([...m]).toEqual([
      ['k3s', 'a'.repeat(64)],
      ['k3s-airgap-images-arm64.tar.gz', 'b'.repeat(64)],
    ]);
  });
});
