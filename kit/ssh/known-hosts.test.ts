import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkHostKey, fingerprint, forgetHost, hostPattern, keyType, recordHostKey } from './known-hosts.ts';

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(body)]);
}

const keyA = blob('ssh-ed25519', 'aaaa');
const keyB = blob('ssh-ed25519', 'bbbb');

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
});
