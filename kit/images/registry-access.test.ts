import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenIssuer, type TokenIssuer } from '../../test/support/token-issuer.ts';
import { validateCluster } from '../inventory/load.ts';
import { MEDIA, RegistryClient, sha256Digest } from '../registry/client.ts';
import { parseImageRef, refOf } from '../registry/reference.ts';
import { startLocalRegistry, type LocalRegistry } from '../registry/serve.ts';
import { coverage } from './coverage.ts';
import { accessForImage, clusterRegistryAccess, registryAuthFor, registryClientFor } from './registry-access.ts';

let dir: string;
let issuer: TokenIssuer;
let reg: LocalRegistry;

const nodes = [{ node: 'pi-1', arch: 'arm64' }, { node: 'x86-1', arch: 'amd64' }];
const cluster = (registry: unknown) =>
  validateCluster({ name: 't', nodes: [{ name: 'pi-1', address: '10.0.0.11', role: 'manager' }], registry });

/** A two-platform image list in `repo:tag`, as a user's CI would publish it to GHCR. */
async function publish(client: RegistryClient, repo: string, tag: string): Promise<string> {
  const entries = [];
  for (const architecture of ['amd64', 'arm64']) {
    const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    await client.uploadBlob(repo, config);
    const m = { schemaVersion: 2 as const, mediaType: MEDIA.manifest, config: { mediaType: MEDIA.config, size: config.length, digest: sha256Digest(config) }, layers: [] };
    const put = await client.putManifest(repo, sha256Digest(Buffer.from(JSON.stringify(m))), m);
    entries.push({ mediaType: MEDIA.manifest, size: put.size, digest: put.digest, platform: { architecture, os: 'linux' } });
  }
  return (await client.putManifest(repo, tag, { schemaVersion: 2, mediaType: MEDIA.list, manifests: entries })).digest;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registry-access-'));
  issuer = await startTokenIssuer({ dir: join(dir, 'issuer'), users: { octo: 'ghp-secret' }, publicRepos: ['openfaas/public-fn'] });
  reg = await startLocalRegistry(join(dir, 'reg'), { auth: { token: issuer } });
}, 60_000);

afterAll(async () => {
  await Promise.all([reg?.stop(), issuer?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

describe('deploy -f with an image on a token-auth registry (as GHCR and Docker Hub are)', () => {
  it('reads a private image with the credentials docker login left, and returns the digest deploy pins', async () => {
    const owner = new RegistryClient({ address: reg.address, auth: { username: 'octo', password: 'ghp-secret' } });
    const digest = await publish(owner, 'octo/classifier', '1.0');
    const home = join(dir, 'home-login');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [reg.address]: { auth: Buffer.from('octo:ghp-secret').toString('base64') } } }), { mode: 0o600 });
    const env = { HOME: home };
    const image = `${reg.address}/octo/classifier:1.0`;
    const ref = parseImageRef(image);
    const access = await accessForImage(ref, cluster({ mode: 'manager' }), env);
    expect(access.authFrom).toBe('~/.docker/config.json');
    expect(registryAuthFor(access)).toBe(Buffer.from('octo:ghp-secret').toString('base64'));
    const got = await coverage({ registry: registryClientFor(access), repository: ref.repository, reference: refOf(ref), nodes, image });
    expect(got).toEqual({ platforms: ['linux/amd64', 'linux/arm64'], digest });
  });

  it('reads a public image anonymously, and names the registry when a private one needs a login', async () => {
    const owner = new RegistryClient({ address: reg.address, auth: { username: 'octo', password: 'ghp-secret' } });
    await publish(owner, 'openfaas/public-fn', 'latest');
    const env = { HOME: join(dir, 'home-none') };
    const pub = parseImageRef(`${reg.address}/openfaas/public-fn`);
    const anon = registryClientFor(await accessForImage(pub, cluster({ mode: 'none' }), env));
    expect((await coverage({ registry: anon, repository: pub.repository, reference: refOf(pub), nodes })).platforms).toEqual(['linux/amd64', 'linux/arm64']);
    await expect(coverage({ registry: anon, repository: 'octo/classifier', reference: '1.0', nodes })).rejects.toThrow(`registry ${reg.address} wants a login`);
  });

  it('finds Docker Hub credentials under the key docker login writes for it', async () => {
    const home = join(dir, 'home-hub');
    await mkdir(join(home, '.docker'), { recursive: true });
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('me:hub-token').toString('base64') } } }));
    const a = await accessForImage(parseImageRef('me/classifier:2'), cluster({ mode: 'manager' }), { HOME: home });
    expect(a).toMatchObject({ address: 'registry-1.docker.io', tls: 'verify', auth: { username: 'me', password: 'hub-token' } });
  });
});

describe("the cluster's registry", () => {
  it('an external registry is verified HTTPS unless cluster.yaml says insecure, with its CA and credentials', async () => {
    const ca = join(dir, 'ca.crt');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const env = { HOME: join(dir, 'home-none'), REG_PASS: 's3cret' };
    const a = await clusterRegistryAccess(cluster({ mode: 'external', address: 'registry.lan:5443/team', ca, username: 'ci', password: { env: 'REG_PASS' } }), env);
    expect(a).toMatchObject({ address: 'registry.lan:5443', namespace: 'team', tls: 'verify', auth: { username: 'ci', password: 's3cret' }, authFrom: 'cluster.yaml' });
    expect(a!.ca!.file).toBe(ca);
    expect((await clusterRegistryAccess(cluster({ mode: 'external', address: 'registry.lan:5000', insecure: true }), env))!.tls).toBe('insecure');
  });

  it('refuses contradictory or half-given registry settings in cluster.yaml, naming the field', () => {
    expect(() => cluster({ mode: 'external', address: 'r.lan:5000', ca: '/ca.crt', insecure: true })).toThrow('give ca (verified TLS) or insecure: true, not both');
    expect(() => cluster({ mode: 'external', address: 'r.lan:5000', username: 'ci' })).toThrow("give where user ci's password is");
  });

  it("the LAN registry's password is the one up generated, and its absence says to run up", async () => {
    const home = join(dir, 'edgefaas-home');
    const spec = cluster({ mode: 'manager' });
    await expect(clusterRegistryAccess(spec, { EDGEFAAS_HOME: home })).rejects.toThrow('run: edgefaas up');
    await mkdir(join(home, 't'), { recursive: true });
    await writeFile(join(home, 't', 'registry-password'), 'generated\n', { mode: 0o600 });
    expect(await clusterRegistryAccess(spec, { EDGEFAAS_HOME: home })).toMatchObject({ address: '10.0.0.11:5000', tls: 'none', auth: { username: 'edgefaas', password: 'generated' } });
  });
});
