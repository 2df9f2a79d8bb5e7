import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterSpec, type NodeSpec } from '../../kit/inventory/schema.ts';
import { loadCluster } from '../../kit/inventory/load.ts';
import {
  AuthError,
  CommandTimeoutError,
  HostKeyChangedError,
  SshPool,
  SudoError,
  UnreachableError,
  forEachNode,
  type SshPoolOptions,
} from '../../kit/ssh/index.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

const run = promisify(execFile);

describe('ssh layer against the lab', () => {
  let lab: TestLab;
  let spec: ClusterSpec;
  let home: string;
  let password: string;
  const pools: SshPool[] = [];

  const container = (i: number) => lab.info.nodes[i]!.container;
  const inNode = (i: number, cmd: string) => onNode(lab, i, cmd);
  const node = (i: number, patch: Partial<NodeSpec> = {}): NodeSpec => ({ ...spec.nodes[i]!, ...patch });
  /** A pool with its own known_hosts and HOME, so nothing of the real user's ~/.ssh is read or written. */
  const pool = (o: SshPoolOptions = {}) => {
    const p = new SshPool({ knownHostsFile: join(home, 'known_hosts'), timeoutMs: 8000, env: { ...process.env, HOME: home, EDGEFAAS_HOME: home }, ...o });
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    lab = await startLab({ name: 'labtest', subnet: '10.99.1.0/24', nodes: 3 });
    spec = await loadCluster(lab.clusterFile);
    password = (await readFile(lab.info.files.passwordFile, 'utf8')).trim();
    home = await mkdtemp(join(tmpdir(), 'ssh-test-home-'));
  });
  afterAll(async () => {
    for (const p of pools) await p.closeAll();
    await lab?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('connects by key to every node in parallel, trusting each host key on first use', async () => {
    const p = pool();
    const res = await forEachNode(spec.nodes, 8, async (n) => (await (await p.runner(n)).exec('hostname')).stdout.trim());
    expect(res.map((r) => (r.ok ? r.value : r.error.message))).toEqual(['pi-1', 'pi-2', 'pi-3']);
    const known = await readFile(join(home, 'known_hosts'), 'utf8');
    expect(known.split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toEqual(expect.arrayContaining(['10.99.1.11', '10.99.1.12', '10.99.1.13']));
  });

  it('reuses one connection per node', async () => {
    const p = pool();
    const a = await p.runner(spec.nodes[0]!);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) seen.add((await a.exec('echo $SSH_CONNECTION')).stdout);
    expect(await p.runner(spec.nodes[0]!)).toBe(a);
    // The same client port every time: one TCP connection carried all three commands.
    expect(seen.size).toBe(1);
  });

  it('connects with a password', async () => {
    const r = await pool().runner(node(1, { auth: { method: 'password', password: { file: lab.info.files.passwordFile } } }));
    expect((await r.exec('id -un; hostname')).stdout).toBe('pi\npi-2\n');
  });

  it('connects through ssh-agent', async () => {
    const sock = join(home, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !(await readFile(sock).then(() => true, (e) => e.code !== 'ENOENT')); i++) await new Promise((r) => setTimeout(r, 50));
      await run('ssh-add', [lab.info.files.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const p = pool({ env: { ...process.env, HOME: home, SSH_AUTH_SOCK: sock } });
      const r = await p.runner(node(2, { auth: { method: 'agent' } }));
      expect((await r.exec('hostname')).stdout).toBe('pi-3\n');
    } finally {
      agent.kill();
    }
  });

  it('says what is missing when auth is agent and no agent runs', async () => {
    const p = pool({ env: { HOME: home } });
    await expect(p.runner(node(0, { auth: { method: 'agent' } }))).rejects.toThrow(/pi-1: auth is agent but SSH_AUTH_SOCK is not set/);
  });

  it('reaches a node by ~/.ssh/config alias (HostName, User, IdentityFile), also through ProxyJump', async () => {
    await mkdir(join(home, '.ssh'), { recursive: true });
    const key = lab.info.files.keyFile;
    await writeFile(
      join(home, '.ssh', 'config'),
      `Host gate\n  HostName 10.99.1.11\n  User pi\n  IdentityFile ${key}\n\nHost second\n  HostName 10.99.1.12\n  User pi\n  IdentityFile ${key}\n\n` +
        `Host third\n  HostName 10.99.1.13\n  User pi\n  IdentityFile ${key}\n  ProxyJump gate\n`,
    );
    // An agent holding no key: only the alias's IdentityFile can log in.
    const sock = join(home, 'empty-agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !(await readFile(sock).then(() => true, (e) => e.code !== 'ENOENT')); i++) await new Promise((r) => setTimeout(r, 50));
      const p = pool({ env: { ...process.env, HOME: home, SSH_AUTH_SOCK: sock } });
      const alias = (name: string, i: number): NodeSpec => ({ ...node(i), name, address: name, user: undefined, auth: { method: 'agent' } });
      const direct = await p.runner(alias('second', 1));
      expect((await direct.exec('id -un; hostname; echo $SSH_CONNECTION')).stdout).toMatch(/^pi\npi-2\n10\.99\.1\.1 /);
      const jumped = await p.runner(alias('third', 2));
      // pi-3 sees the connection coming from pi-1: the jump host.
      expect((await jumped.exec('hostname; echo $SSH_CONNECTION')).stdout).toMatch(/^pi-3\n10\.99\.1\.11 /);
    } finally {
      agent.kill();
    }
  });

  it('uses an encrypted key with its passphrase from cluster.yaml, or asks for it', async () => {
    const key = join(home, 'enc_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', key]);
    const pub = await readFile(`${key}.pub`, 'utf8');
    await new Promise<void>((resolve, reject) => {
      const c = spawn('docker', ['exec', '-i', container(0), 'sh', '-c', 'cat >>/home/pi/.ssh/authorized_keys']);
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      c.stdin.end(pub);
    });
    const env = { ...process.env, HOME: home, KEY_PASS: 'correct horse' };
    const withSecret = await pool({ env }).runner(node(0, { auth: { method: 'key', keyFile: key, passphrase: { env: 'KEY_PASS' } } }));
    expect((await withSecret.exec('hostname')).stdout).toBe('pi-1\n');
    const asked: string[] = [];
    const askPassphrase = async (path: string) => (asked.push(path), 'correct horse');
    const prompted = await pool({ askPassphrase }).runner(node(0, { auth: { method: 'key', keyFile: key } }));
    expect((await prompted.exec('hostname')).stdout).toBe('pi-1\n');
    expect(asked).toEqual([key]);
    await expect(pool({ askPassphrase: async () => 'wrong' }).runner(node(0, { auth: { method: 'key', keyFile: key } }))).rejects.toThrow(
      /pi-1: cannot use key .*enc_ed25519: wrong or missing passphrase/,
    );
  });

  it('logs in with ecdsa and rsa key files as well as ed25519', async () => {
    for (const type of ['ecdsa', 'rsa']) {
      const key = join(home, `id_${type}`);
      await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', key]);
      const pub = await readFile(`${key}.pub`, 'utf8');
      await new Promise<void>((resolve, reject) => {
        const c = spawn('docker', ['exec', '-i', container(1), 'sh', '-c', 'cat >>/home/pi/.ssh/authorized_keys']);
        c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
        c.stdin.end(pub);
      });
      const r = await pool().runner(node(1, { auth: { method: 'key', keyFile: key } }));
      expect((await r.exec('hostname')).stdout).toBe('pi-2\n');
    }
  });

  it('refuses a regenerated host key, showing both fingerprints, while the other nodes complete', async () => {
    const p1 = pool();
    await (await p1.runner(spec.nodes[2]!)).exec('true');
    await p1.closeAll();
    const oldFp = (await inNode(2, 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).split(' ')[1];
    await inNode(2, 'rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && kill -HUP $(pgrep -o -x sshd)');
    const newFp = (await inNode(2, 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).split(' ')[1];
    expect(newFp).not.toBe(oldFp);
    await new Promise((r) => setTimeout(r, 300));
    const res = await forEachNode(spec.nodes, 8, async (n) => (await (await pool().runner(n)).exec('hostname')).stdout.trim());
    expect(res[0]).toMatchObject({ ok: true, value: 'pi-1' });
    expect(res[1]).toMatchObject({ ok: true, value: 'pi-2' });
    const failed = res[2]!;
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.error).toBeInstanceOf(HostKeyChangedError);
    expect(failed.error.message).toContain('host key of pi-3 (10.99.1.13) changed: refusing to connect');
    expect(failed.error.message).toContain(oldFp);
    expect(failed.error.message).toContain(newFp);
    expect(failed.error.message).toContain('edgefaas doctor --node pi-3 --accept-new-host-key');
    // Accepting needs the user to name the node; afterwards the new key is simply known.
    const accepted = await pool({ acceptChangedHostKey: ['pi-3'] }).runner(spec.nodes[2]!);
    expect((await accepted.exec('hostname')).stdout).toBe('pi-3\n');
    expect((await (await pool().runner(spec.nodes[2]!)).exec('hostname')).stdout).toBe('pi-3\n');
  });

  it('names the node for a wrong password and for an unreachable node, while the others complete', async () => {
    const bad = join(home, 'bad-password');
    await writeFile(bad, 'not-the-password', { mode: 0o600 });
    const nodes: NodeSpec[] = [
      node(0),
      node(1, { auth: { method: 'password', password: { file: bad } } }),
      { ...node(2), name: 'ghost', address: lab.unreachable },
    ];
    const p = pool({ timeoutMs: 5000 });
    const res = await forEachNode(nodes, 8, async (n) => (await (await p.runner(n)).exec('hostname')).stdout.trim());
    expect(res[0]).toMatchObject({ ok: true, value: 'pi-1' });
    const [, wrong, ghost] = res;
    expect(wrong!.ok || ghost!.ok).toBe(false);
    if (wrong!.ok || ghost!.ok) return;
    expect(wrong!.error).toBeInstanceOf(AuthError);
    expect(wrong!.error.message).toMatch(/^pi-2: authentication failed for pi@10\.99\.1\.12:22 \(tried: password\)/);
    expect(ghost!.error).toBeInstanceOf(UnreachableError);
    expect(ghost!.error.message).toMatch(/^ghost: cannot reach pi@10\.99\.1\.250:22/);
    expect(ghost!.error.message).toContain('edgefaas doctor --node ghost');
  });

  it('runs sudo with the password on stdin, and tells "wrong password", "not allowed" and "no sudo" apart', async () => {
    const ok = await pool().runner(node(0));
    expect((await ok.exec('id -u; cat', { sudo: true, stdin: 'after-sudo\n' })).stdout).toBe('0\nafter-sudo\n');

    const bad = join(home, 'bad-sudo');
    await writeFile(bad, 'wrong-sudo-password', { mode: 0o600 });
    const wrong = await pool().runner(node(1, { sudoPassword: { file: bad } }));
    await expect(wrong.exec('id -u', { sudo: true })).rejects.toThrow(/^pi-2: sudo refused the password for pi on pi@10\.99\.1\.12:22 \(wrong password\)/);

    await inNode(1, 'id nosudo >/dev/null 2>&1 || useradd -m nosudo; install -d -o nosudo -m 700 /home/nosudo/.ssh; install -o nosudo -m 600 /home/pi/.ssh/authorized_keys /home/nosudo/.ssh/');
    // Its own (right) password: sudo accepts it, then says the user is not allowed.
    await new Promise<void>((resolve, reject) => {
      const c = spawn('docker', ['exec', '-i', container(1), 'chpasswd']);
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd exit ${code}`))));
      c.stdin.end(`nosudo:${password}\n`);
    });
    const plain = await pool().runner(node(1, { user: 'nosudo' }));
    const err = await plain.exec('id -u', { sudo: true }).catch((e) => e);
    expect(err).toBeInstanceOf(SudoError);
    expect(err.message).toMatch(/^pi-2: user nosudo may not use sudo on nosudo@10\.99\.1\.12:22; as root run: usermod -aG sudo nosudo/);

    await inNode(2, 'mv /usr/bin/sudo /usr/bin/sudo.off');
    try {
      const r = await pool().runner(node(2));
      await expect(r.exec('id -u', { sudo: true })).rejects.toThrow(/^pi-3: sudo is not installed on pi@10\.99\.1\.13:22/);
    } finally {
      await inNode(2, 'mv /usr/bin/sudo.off /usr/bin/sudo');
    }
  });

  it('keeps the sudo password out of logs, output, errors and every process argv', async () => {
    const logs: string[] = [];
    const p = pool({ log: (l) => logs.push(l) });
    const r = await p.runner(node(0));
    const seen: string[] = [];
    const watch = (async () => {
      for (let i = 0; i < 10; i++) {
        seen.push((await run('ps', ['-eo', 'args'])).stdout);
        seen.push(await inNode(0, 'ps -eo args'));
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const res = await r.exec('sleep 1.5; id -u; echo "$(cat)"', { sudo: true, stdin: `${password}\n` });
    await watch;
    expect(res.stdout).toBe('0\n***\n');
    expect(seen.join('\n')).toContain('sleep 1.5');
    expect(seen.join('\n')).not.toContain(password);
    expect(logs.join('\n')).toContain('pi-1$ sudo sleep 1.5');
    expect(logs.join('\n')).not.toContain(password);
    const failure = await r.exec(`exit 3 # ${password}`).then((x) => JSON.stringify(x));
    expect(failure).not.toContain(password);
  });

  it('times out a command, naming the node, and stops it there', async () => {
    const r = await pool().runner(node(1));
    const err = await r.exec('sleep 30', { timeoutMs: 500 }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect(err.message).toMatch(/^pi-2: command timed out after 0\.5 s on pi@10\.99\.1\.12:22: sleep 30/);
    await new Promise((res) => setTimeout(res, 500));
    expect(await inNode(1, 'pgrep -x sleep || echo none')).toBe('none\n');
  });

  it('streams output as it comes', async () => {
    const r = await pool().runner(node(0));
    const chunks: Array<[string, number]> = [];
    const started = Date.now();
    const res = await r.exec('echo first; sleep 0.6; echo second', { onStdout: (c) => chunks.push([c, Date.now() - started]) });
    expect(res.stdout).toBe('first\nsecond\n');
    expect(chunks[0]![0]).toBe('first\n');
    expect(chunks[0]![1]).toBeLessThan(res.ms - 400);
  });

  it('uploads files over SFTP, with sudo where the user may not write', async () => {
    const r = await pool().runner(node(2));
    await r.upload(Buffer.from('hello pi\n'), '/home/pi/note.txt', 0o640);
    await r.upload(Buffer.from('{"debug":false}\n'), '/etc/edgefaas-test.json', 0o600);
    expect(await inNode(2, 'stat -c "%a %U" /home/pi/note.txt; cat /home/pi/note.txt')).toBe('640 pi\nhello pi\n');
    expect(await inNode(2, 'stat -c "%a %U" /etc/edgefaas-test.json; cat /etc/edgefaas-test.json; ls /tmp | grep -c edgefaas-upload || true')).toBe(
      '600 root\n{"debug":false}\n0\n',
    );
  });
});
