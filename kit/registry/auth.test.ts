import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenIssuer, type TokenIssuer } from '../../test/support/token-issuer.ts';
import { ensureServerCert } from '../lab/registry/tls.ts';
import { parseChallenge } from './auth.ts';
import { MEDIA, RegistryClient, sha256Digest, type ImageManifest } from './client.ts';
import { startLocalRegistry, type LocalRegistry } from './serve.ts';

let dir: string;
let issuer: TokenIssuer;
let tokenReg: LocalRegistry;
let basicReg: LocalRegistry;
let tlsReg: LocalRegistry;
let caPem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registry-auth-'));
  issuer = await startTokenIssuer({ dir: join(dir, 'issuer'), users: { ci: 'right-password' }, publicRepos: ['library/public'] });
  tokenReg = await startLocalRegistry(join(dir, 'token'), { auth: { token: issuer } });
  const htpasswd = join(dir, 'htpasswd');
  await writeFile(htpasswd, `edgefaas:${bcrypt.hashSync('lan-password', 10)}\n`, { mode: 0o600 });
  const certs = await ensureServerCert(join(dir, 'pki'), { caName: 'test CA', name: 'registry', ips: ['127.0.0.1'] });
  caPem = (await import('node:fs')).readFileSync(certs.caCert, 'utf8');
  basicReg = await startLocalRegistry(join(dir, 'basic'), { auth: { htpasswd } });
  tlsReg = await startLocalRegistry(join(dir, 'tls'), { auth: { htpasswd }, tls: { cert: certs.cert, key: certs.key, ca: certs.caCert } });
}, 60_000);

afterAll(async () => {
  await Promise.all([tokenReg?.stop(), basicReg?.stop(), tlsReg?.stop(), issuer?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** A one-blob image: what a push sends, small. */
async function pushTiny(client: RegistryClient, repo: string, tag: string): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: tag }));
  await client.uploadBlob(repo, config);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MEDIA.manifest, config: { mediaType: MEDIA.config, size: config.length, digest: sha256Digest(config) }, layers: [] };
  return (await client.putManifest(repo, tag, manifest)).digest;
}

describe('WWW-Authenticate challenges', () => {
  it('reads a Bearer challenge with realm, service and scope, as Docker Hub sends it', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"')).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/ubuntu:pull',
    });
    expect(parseChallenge('Basic realm="edgefaas"')).toEqual({ scheme: 'basic', realm: 'edgefaas' });
  });
});

describe('registry token protocol (docker-registry with auth: token, a local token service)', () => {
  it('pushes with credentials: challenge, token for pull,push, retry', async () => {
    const client = new RegistryClient({ address: tokenReg.address, auth: { username: 'ci', password: 'right-password' } });
    const digest = await pushTiny(client, 'team/app', 'v1');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await client.getManifest('team/app', 'v1'))?.digest).toBe(digest);
    expect(issuer.requests.some((r) => r.account === 'ci' && r.status === 200 && r.scope.some((s) => /^repository:team\/app:(pull,push|push,pull)$/.test(s)))).toBe(true);
  });

  it('reads a public image anonymously, as deploy -f does for a public Docker Hub image', async () => {
    const owner = new RegistryClient({ address: tokenReg.address, auth: { username: 'ci', password: 'right-password' } });
    const digest = await pushTiny(owner, 'library/public', 'latest');
    const anonymous = new RegistryClient({ address: tokenReg.address });
    expect((await anonymous.getManifest('library/public', 'latest'))?.digest).toBe(digest);
  });

  it('names the registry and says a login is needed when a private image is read without credentials', async () => {
    const anonymous = new RegistryClient({ address: tokenReg.address });
    await expect(anonymous.getManifest('team/app', 'v1')).rejects.toThrow(`registry ${tokenReg.address} wants a login`);
  });

  it('names the registry and the user when the password is wrong', async () => {
    const wrong = new RegistryClient({ address: tokenReg.address, auth: { username: 'ci', password: 'wrong' } });
    await expect(wrong.getManifest('team/app', 'v1')).rejects.toThrow(`registry ${tokenReg.address} refused the credentials of user ci`);
  });
});

describe('registry basic auth (htpasswd) and TLS from a private CA', () => {
  it('refuses an unauthenticated push and takes one with the password', async () => {
    const anonymous = new RegistryClient({ address: basicReg.address });
    await expect(pushTiny(anonymous, 'edgefaas/function', 'x')).rejects.toThrow(`registry ${basicReg.address} wants a login`);
    const wrong = new RegistryClient({ address: basicReg.address, auth: { username: 'edgefaas', password: 'nope' } });
    await expect(wrong.login()).rejects.toThrow(`registry ${basicReg.address} refused the credentials of user edgefaas`);
    const right = new RegistryClient({ address: basicReg.address, auth: { username: 'edgefaas', password: 'lan-password' } });
    expect(await pushTiny(right, 'edgefaas/function', 'x')).toMatch(/^sha256:/);
  });

  it('verifies the certificate against the CA it is given, and refuses it without, saying what to do', async () => {
    const auth = { username: 'edgefaas', password: 'lan-password' };
    const trusting = new RegistryClient({ address: tlsReg.address, tls: 'verify', ca: caPem, auth });
    expect(await pushTiny(trusting, 'edgefaas/function', 'tls')).toMatch(/^sha256:/);
    const untrusting = new RegistryClient({ address: tlsReg.address, tls: 'verify', auth });
    await expect(untrusting.login()).rejects.toThrow(/its certificate is not trusted here: give the CA that signed it \(registry\.ca in cluster\.yaml\)/);
  });
});
