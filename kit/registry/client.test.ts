import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA, RegistryClient, sha256Digest } from './client.ts';
import { freePort, startLocalRegistry, type LocalRegistry } from './serve.ts';

let dir: string;
let reg: LocalRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registry-'));
  reg = await startLocalRegistry(dir);
});
afterAll(async () => {
  await reg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('registry client (Debian docker-registry on 127.0.0.1)', () => {
  it('uploads a blob once and then finds it by digest', async () => {
    const data = Buffer.from(`layer ${Date.now()}`);
    const digest = sha256Digest(data);
    expect(await reg.client.hasBlob('t/app', digest)).toBe(false);
    expect(await reg.client.uploadBlob('t/app', data)).toBe(digest);
    expect(await reg.client.hasBlob('t/app', digest)).toBe(true);
  });

  it('refuses a blob whose bytes do not match the digest, saying which', async () => {
    const wrong = sha256Digest('something else');
    await expect(reg.client.uploadBlob('t/app', Buffer.from('these bytes'), wrong)).rejects.toThrow(
      new RegExp(`registry ${reg.address} answered 400 while uploading blob ${wrong.slice(0, 19)} \\(11 bytes\\) to t/app`),
    );
  });

  it('stores an image manifest by digest and a list by tag, and reads the list back', async () => {
    const config = Buffer.from(JSON.stringify({ architecture: 'arm', os: 'linux', variant: 'v7', rootfs: { type: 'layers', diff_ids: [] } }));
    await reg.client.uploadBlob('t/app', config);
    const manifest = { schemaVersion: 2 as const, mediaType: MEDIA.manifest, config: { mediaType: MEDIA.config, size: config.length, digest: sha256Digest(config) }, layers: [] };
    const body = Buffer.from(JSON.stringify(manifest));
    const put = await reg.client.putManifest('t/app', sha256Digest(body), manifest);
    expect(put.digest).toBe(sha256Digest(body));
    const list = {
      schemaVersion: 2 as const,
      mediaType: MEDIA.list,
      manifests: [{ mediaType: MEDIA.manifest, size: put.size, digest: put.digest, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }],
    };
    await reg.client.putManifest('t/app', 'v1', list);
    const got = await reg.client.getManifest('t/app', 'v1');
    expect(got?.manifest).toEqual(list);
    expect(await reg.client.getBlobJson<{ variant: string }>('t/app', sha256Digest(config))).toMatchObject({ variant: 'v7' });
  });

  it('answers undefined for a tag the registry does not have', async () => {
    expect(await reg.client.getManifest('t/app', 'nope')).toBeUndefined();
  });

  it('says which registry is unreachable and what to run', async () => {
    const dead = new RegistryClient({ address: `127.0.0.1:${await freePort()}` });
    await expect(dead.hasBlob('t/app', sha256Digest('x'))).rejects.toThrow(/registry 127\.0\.0\.1:\d+ unreachable \(HEAD \/v2\/t\/app\/blobs\/sha256:[0-9a-f]+: .*\); is it running\? run: edgefaas status/);
  });
});
