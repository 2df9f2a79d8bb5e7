import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkHostKey, fingerprint, forgetHost, hashHostName, hostKeyAlgorithms, hostPattern, keyType, recordHostKey, unknownKeys } from './known-hosts.ts';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}

const keyA = blob('ssh-ed25519', 'aaaa');
const keyB = blob('ssh-ed25519', 'bbbb');
const ecdsa = blob('ecdsa-sha2-nistp256', 'cccc');
const rsa = blob('ssh-rsa', 'dddd');
const line = (host: string, key: Buffer) => `${host} ${keyType(key)} ${key.toString('base64')}\n`;

describe('known hosts', () => {
  let dir: string;
  let own: string;
  let user: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kh-'));
    own = join(dir, 'own');
    user = join(dir, 'user');
  });

  it('writes [host]:port for ports other than 22', () => {
    expect(hostPattern('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(hostPattern('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('trusts a new key once, then knows it', async () => {
    const files = { own, extra: [user] };
    expect(await checkHostKey(files, '10.0.0.1', keyA)).toEqual({ status: 'new' });
    await recordHostKey(own, '10.0.0.1', keyA);
    expect(await readFile(own, 'utf8')).toBe(`10.0.0.1 ssh-ed25519 ${keyA.toString('base64')}\n`);
    expect(await checkHostKey(files, '10.0.0.1', keyA)).toEqual({ status: 'known' });
    expect(keyType(keyA)).toBe('ssh-ed25519');
  });

  it('reports a changed key with the old fingerprint and the file it came from', async () => {
    await recordHostKey(own, '10.0.0.1', keyA);
    const v = await checkHostKey({ own, extra: [] }, '10.0.0.1', keyB);
    expect(v).toEqual({ status: 'changed', old: [fingerprint(keyA)], files: [own] });
  });

  it("reads the user's hashed ~/.ssh/known_hosts entries", async () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('10.0.0.9').digest('base64');
    await writeFile(user, `|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${keyA.toString('base64')}\n`);
    expect(await checkHostKey({ own, extra: [user] }, '10.0.0.9', keyA)).toEqual({ status: 'known' });
    expect((await checkHostKey({ own, extra: [user] }, '10.0.0.9', keyB)).status).toBe('changed');
    expect(await checkHostKey({ own, extra: [user] }, '10.0.0.8', keyB)).toEqual({ status: 'new' });
  });

  it("lets the kit's own entry win over the user's file once a new key was accepted", async () => {
    await writeFile(user, `10.0.0.1 ssh-ed25519 ${keyA.toString('base64')}\n`);
    await recordHostKey(own, '10.0.0.1', keyB);
    expect(await checkHostKey({ own, extra: [user] }, '10.0.0.1', keyB)).toEqual({ status: 'known' });
  });

  it('forgets only the named host', async () => {
    await recordHostKey(own, '10.0.0.1', keyA);
    await recordHostKey(own, '10.0.0.2', keyA);
    expect(await forgetHost(own, '10.0.0.1')).toBe(1);
    expect(await checkHostKey({ own, extra: [] }, '10.0.0.1', keyB)).toEqual({ status: 'new' });
    expect(await checkHostKey({ own, extra: [] }, '10.0.0.2', keyA)).toEqual({ status: 'known' });
  });

  it('calls a key of another type for a host known by one type "new key type", not "changed"', async () => {
    await writeFile(user, line('10.0.0.1', ecdsa));
    const v = await checkHostKey({ own, extra: [user] }, '10.0.0.1', keyA);
    expect(v).toEqual({ status: 'new-type', knownTypes: ['ecdsa-sha2-nistp256'], files: [user] });
    expect(await checkHostKey({ own, extra: [user] }, '10.0.0.1', ecdsa)).toEqual({ status: 'known' });
  });

  it('asks first for the key types already known for the host, as OpenSSH orders HostKeyAlgorithms', async () => {
    await writeFile(user, line('10.0.0.1', ecdsa) + line('[10.0.0.2]:2222', rsa));
    const files = { own, extra: [user] };
    expect((await hostKeyAlgorithms(files, '10.0.0.1')).slice(0, 2)).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect((await hostKeyAlgorithms(files, '[10.0.0.2]:2222')).slice(0, 4)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect((await hostKeyAlgorithms(files, '10.0.0.3'))[0]).toBe('ssh-ed25519');
    expect(await unknownKeys(files, '10.0.0.1', [ecdsa, keyA])).toEqual([keyA]);
  });

  it('refuses a @revoked key wherever it is listed, even for a host that also knows it', async () => {
    await writeFile(user, `@revoked * ${keyType(keyA)} ${keyA.toString('base64')}\n`);
    await recordHostKey(own, '10.0.0.1', keyA);
    expect(await checkHostKey({ own, extra: [user] }, '10.0.0.1', keyA)).toEqual({ status: 'revoked', files: [user] });
    expect(await unknownKeys({ own, extra: [user] }, '10.0.0.1', [keyA])).toEqual([]);
    expect((await checkHostKey({ own, extra: [user] }, '10.0.0.1', keyB)).status).toBe('changed');
  });

  it('never trusts on first use a host the user trusts through a @cert-authority', async () => {
    await writeFile(user, `@cert-authority *.lan,10.0.0.* ${keyType(keyB)} ${keyB.toString('base64')}\n`);
    expect(await checkHostKey({ own, extra: [user] }, '10.0.0.7', keyA)).toEqual({ status: 'ca-only', files: [user] });
    expect(await checkHostKey({ own, extra: [user] }, '10.1.0.7', keyA)).toEqual({ status: 'new' });
  });

  it('matches wildcard and negated host patterns as OpenSSH does', async () => {
    await writeFile(user, line('10.0.0.*,!10.0.0.5', keyA));
    expect((await checkHostKey({ own, extra: [user] }, '10.0.0.4', keyA)).status).toBe('known');
    expect((await checkHostKey({ own, extra: [user] }, '10.0.0.5', keyA)).status).toBe('new');
  });

  it('writes hashed entries when asked (HashKnownHosts yes), reads and forgets them', async () => {
    await recordHostKey(own, '[10.0.0.1]:2222', keyA, { hash: true });
    const text = await readFile(own, 'utf8');
    expect(text).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    expect(text).not.toContain('10.0.0.1');
    expect(await checkHostKey({ own, extra: [] }, '[10.0.0.1]:2222', keyA)).toEqual({ status: 'known' });
    expect(hashHostName('x', Buffer.alloc(20))).toBe(`|1|${Buffer.alloc(20).toString('base64')}|${createHmac('sha1', Buffer.alloc(20)).update('x').digest('base64')}`);
    expect(await forgetHost(own, '[10.0.0.1]:2222')).toBe(1);
  });
});
