import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../kit/inventory/load.ts';
import type { ClusterSpec, NodeSpec } from '../../kit/inventory/schema.ts';
import { HostKeyChangedError, HostKeyNewTypeError, HostKeyRevokedError, SshPool, type HostKeyEvent, type SshPoolOptions } from '../../kit/ssh/index.ts';
import { fingerprint } from '../../kit/ssh/known-hosts.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

const run = promisify(execFile);

/**
 * Host key trust and ProxyJump credentials against real sshd (OpenSSH) on two lab hosts: pi-1 is
 * also the bastion for pi-2. Each case has its own HOME (~/.ssh/known_hosts, ~/.ssh/config) and
 * its own kit known_hosts, so nothing carries over between them.
 */
describe('SSH trust as OpenSSH does it (lab safe2)', () => {
  let lab: TestLab;
  let spec: ClusterSpec;
  const pools: SshPool[] = [];
  const bastion = '10.99.32.11';
  const target = '10.99.32.12';

  /** A fresh HOME with the given ~/.ssh files, and a pool reading it. */
  async function fresh(files: { knownHosts?: string; config?: string } = {}, o: SshPoolOptions = {}) {
    const home = await mkdtemp(join(tmpdir(), 'safe-trust-'));
    await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    if (files.knownHosts !== undefined) await writeFile(join(home, '.ssh', 'known_hosts'), files.knownHosts);
    if (files.config !== undefined) await writeFile(join(home, '.ssh', 'config'), files.config);
    const own = join(home, 'kit_known_hosts');
    const events: HostKeyEvent[] = [];
    const pool = new SshPool({ knownHostsFile: own, timeoutMs: 10_000, env: { PATH: process.env.PATH, HOME: home, EDGEFAAS_HOME: home }, onHostKey: (e) => events.push(e), ...o });
    pools.push(pool);
    return { home, own, pool, events };
  }
  /** The host's public key of one type, as a known_hosts key field. */
  const hostKey = async (i: number, type: 'ed25519' | 'ecdsa' | 'rsa') => (await onNode(lab, i, `cat /etc/ssh/ssh_host_${type}_key.pub`)).split(' ').slice(0, 2).join(' ');
  const blobOf = (field: string) => Buffer.from(field.split(' ')[1]!, 'base64');
  const node = (i: number, patch: Partial<NodeSpec> = {}): NodeSpec => ({ ...spec.nodes[i]!, ...patch });
  const sshdLog = async (i: number) => {
    const r = await run('docker', ['logs', lab.info.nodes[i]!.container], { maxBuffer: 16 << 20 });
    return r.stdout + r.stderr;
  };
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
  };

  beforeAll(async () => {
    lab = await startLab({ name: 'safe2', subnet: '10.99.32.0/24', nodes: 2 });
    spec = await loadCluster(lab.clusterFile);
  }, 600_000);
  afterAll(async () => {
    for (const p of pools) await p.closeAll();
    await lab?.stop();
  });

  it('connects to a host known only by its ECDSA key, asking for that key, and records its ed25519 key as UpdateHostKeys does', async () => {
    const ecdsa = await hostKey(1, 'ecdsa');
    const ed = await hostKey(1, 'ed25519');
    const { pool, own, events } = await fresh({ knownHosts: `${target} ${ecdsa}\n` });
    const r = await pool.runner(node(1));
    expect((await r.exec('hostname')).stdout).toBe('pi-2\n');
    await until(async () => (await readFile(own, 'utf8').catch(() => '')).includes(ed));
    const recorded = await readFile(own, 'utf8');
    expect(recorded).toContain(`${target} ${ed}\n`);
    expect(events).toContainEqual(expect.objectContaining({ node: 'pi-2', kind: 'added', fingerprint: fingerprint(blobOf(ed)) }));
    expect(events.some((e) => e.kind === 'first-use')).toBe(false);
    // The next connection negotiates ed25519 and finds it known.
    const again = await fresh({ knownHosts: `${target} ${ecdsa}\n` });
    await writeFile(again.own, recorded);
    expect((await (await again.pool.runner(node(1))).exec('hostname')).stdout).toBe('pi-2\n');
  });

  it('calls a key of a new type "new key type", not "changed", and takes it only when told', async () => {
    const rsa = await hostKey(1, 'rsa');
    // The host no longer offers RSA: only its ed25519 and ECDSA keys are on offer.
    const { pool } = await fresh({ knownHosts: `${target} ${rsa}\n` });
    await onNode(lab, 1, "printf 'HostKeyAlgorithms ssh-ed25519,ecdsa-sha2-nistp256\\n' >/etc/ssh/sshd_config.d/safe-algs.conf && kill -HUP $(pgrep -o -x sshd)");
    try {
      await new Promise((r) => setTimeout(r, 500));
      const err = await pool.runner(node(1)).then(() => undefined, (e: Error) => e);
      expect(err).toBeInstanceOf(HostKeyNewTypeError);
      expect(err!.message).toMatch(/pi-2 \(10\.99\.32\.12\) offered a ssh-ed25519 host key .* but only ssh-rsa keys are known for it/);
      expect(err!.message).not.toMatch(/changed/);
      const told = await fresh({ knownHosts: `${target} ${rsa}\n` }, { acceptChangedHostKey: ['pi-2'] });
      expect((await (await told.pool.runner(node(1))).exec('hostname')).stdout).toBe('pi-2\n');
    } finally {
      await onNode(lab, 1, 'rm -f /etc/ssh/sshd_config.d/safe-algs.conf && kill -HUP $(pgrep -o -x sshd)');
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  it('refuses a key marked @revoked, even with --accept-new-host-key, and never records it', async () => {
    const ed = await hostKey(1, 'ed25519');
    const { pool, own } = await fresh({ knownHosts: `@revoked * ${ed}\n` }, { acceptChangedHostKey: ['pi-2'] });
    const err = await pool.runner(node(1)).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(HostKeyRevokedError);
    expect(err!.message).toContain(`host key ${fingerprint(blobOf(ed))} of pi-2 (${target}) is marked @revoked`);
    expect(await readFile(own, 'utf8').catch(() => '')).toBe('');
  });

  it('writes the kit known_hosts hashed when ssh config says HashKnownHosts yes', async () => {
    const { pool, own } = await fresh({ config: 'Host *\n  HashKnownHosts yes\n' });
    expect((await (await pool.runner(node(0))).exec('hostname')).stdout).toBe('pi-1\n');
    const text = await readFile(own, 'utf8');
    expect(text).toMatch(/^\|1\|/);
    expect(text).not.toContain(bastion);
  });

  describe('through a ProxyJump bastion', () => {
    const config = (key: string) => `Host bastion\n  HostName ${bastion}\n  User pi\n  IdentityFile ${key}\n\nHost inner\n  HostName ${target}\n  ProxyJump bastion\n`;
    const viaBastion = () => node(1, { address: 'inner', auth: { method: 'password', password: { file: lab.info.files.passwordFile } } });

    it("gives the bastion only its own key, never the node's password (the bastion's sshd log shows no password try)", async () => {
      const before = (await sshdLog(0)).length;
      const { pool } = await fresh({ config: config(lab.info.files.keyFile) });
      const r = await pool.runner(viaBastion());
      expect((await r.exec('hostname; echo $SSH_CONNECTION')).stdout).toMatch(new RegExp(`^pi-2\\n${bastion.replace(/\./g, '\\.')} `));
      await pool.closeAll();
      await new Promise((r) => setTimeout(r, 300));
      const bastionLog = (await sshdLog(0)).slice(before);
      expect(bastionLog).toMatch(/Accepted publickey for pi from/);
      expect(bastionLog).not.toMatch(/password/i);
      expect(await sshdLog(1)).toMatch(/Accepted password for pi from 10\.99\.32\.11/);
    });

    it("refuses the bastion's changed key; accepting the node's key does not accept it, naming the bastion does", async () => {
      const { pool, own, home } = await fresh({ config: config(lab.info.files.keyFile) });
      await (await pool.runner(viaBastion())).exec('true');
      await pool.closeAll();
      // Trusted on first use: one key per host, nothing else recorded (UpdateHostKeys needs a key already known).
      const kit = await readFile(own, 'utf8');
      expect(kit.split('\n').filter(Boolean)).toHaveLength(2);
      await onNode(lab, 0, 'rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && kill -HUP $(pgrep -o -x sshd)');
      await new Promise((r) => setTimeout(r, 500));
      const env = { PATH: process.env.PATH, HOME: home, EDGEFAAS_HOME: home };
      const again = (o: SshPoolOptions) => {
        const p = new SshPool({ knownHostsFile: own, timeoutMs: 10_000, env, ...o });
        pools.push(p);
        return p.runner(viaBastion()).then(() => undefined, (e: Error) => e);
      };
      const refused = await again({});
      expect(refused).toBeInstanceOf(HostKeyChangedError);
      expect(refused!.message).toContain(`host key of jump host ${bastion} (on the way to pi-2) changed: refusing to connect`);
      expect(refused!.message).toContain(`edgefaas doctor --node pi-2 --accept-new-host-key ${bastion}`);
      expect(await again({ acceptChangedHostKey: ['pi-2'] })).toBeInstanceOf(HostKeyChangedError);
      expect(await readFile(own, 'utf8')).toBe(kit);
      expect(await again({ acceptChangedJumpHostKey: ['bastion'] })).toBeUndefined();
    });
  });
});
