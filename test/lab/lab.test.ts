import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadCluster } from '../../kit/inventory/load.ts';
import { labDown, labStatus, labUp } from '../../kit/lab/index.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

const run = promisify(execFile);
const NAME = 'labtest';
const SUBNET = '10.99.1.0/24';

async function sh(cmd: string): Promise<string> {
  return (await run('sh', ['-c', cmd])).stdout;
}

describe('lab up / status / down', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await startLab({ name: NAME, subnet: SUBNET, nodes: 3 });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('makes three hosts with their own hostname, address, host key and root filesystem', async () => {
    expect(lab.info.nodes.map((n) => n.address)).toEqual(['10.99.1.11', '10.99.1.12', '10.99.1.13']);
    const hostnames = await Promise.all([0, 1, 2].map((i) => onNode(lab, i, 'hostname')));
    expect(hostnames.map((h) => h.trim())).toEqual(['pi-1', 'pi-2', 'pi-3']);
    const addrs = await Promise.all([0, 1, 2].map((i) => onNode(lab, i, 'ip -4 -o addr show eth0')));
    addrs.forEach((a, i) => expect(a).toContain(`inet ${lab.info.nodes[i]!.address}/24`));
    const keys = await Promise.all([0, 1, 2].map((i) => onNode(lab, i, 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')));
    expect(new Set(keys).size).toBe(3);
    await onNode(lab, 0, 'touch /etc/only-on-pi-1');
    expect(await onNode(lab, 1, 'test -e /etc/only-on-pi-1 && echo shared || echo separate')).toBe('separate\n');
  });

  it('starts each node as a fresh Pi: sshd up, user pi with sudo, no Docker, own /var/lib/docker', async () => {
    for (const i of [0, 1, 2]) {
      expect(await onNode(lab, i, 'pgrep -x sshd >/dev/null && echo up')).toBe('up\n');
      expect(await onNode(lab, i, 'id -nG pi')).toContain('sudo');
      expect(await onNode(lab, i, 'command -v docker dockerd || echo none')).toBe('none\n');
      expect(await onNode(lab, i, `awk '$2=="/var/lib/docker"{print $3}' /proc/mounts`)).toMatch(/^(?!overlay)\S+\n$/);
    }
    const status = await labStatus(NAME);
    expect(status.map((s) => [s.node, s.address, s.state, s.running])).toEqual([
      ['pi-1', '10.99.1.11', 'running', ['sshd']],
      ['pi-2', '10.99.1.12', 'running', ['sshd']],
      ['pi-3', '10.99.1.13', 'running', ['sshd']],
    ]);
  });

  it('writes cluster.yaml, an ssh config snippet and the known host keys; secrets 0600', async () => {
    const yaml = await readFile(lab.clusterFile, 'utf8');
    expect(yaml).toContain('address: 10.99.1.12');
    expect(yaml).toContain('role: manager');
    expect(await readFile(lab.info.files.sshConfigFile, 'utf8')).toContain('Host labtest-pi-3\n  HostName 10.99.1.13');
    expect((await readFile(lab.info.files.knownHostsFile, 'utf8')).split('\n').filter((l) => l.startsWith('10.99.1.11 '))).not.toHaveLength(0);
    for (const f of [lab.info.files.keyFile, lab.info.files.passwordFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(yaml).not.toContain(await readFile(lab.info.files.passwordFile, 'utf8'));
  });

  it('changes nothing when run twice', async () => {
    const ids = await sh(`docker ps -q --no-trunc --filter label=edgefaas.lab=${NAME} | sort`);
    const mtime = statSync(lab.clusterFile).mtimeMs;
    const shadow = await onNode(lab, 0, 'sha256sum /etc/shadow');
    const again = await labUp({ name: NAME, subnet: SUBNET, nodes: 3, clusterFile: lab.clusterFile, home: lab.home });
    expect(again.changed).toBe(false);
    expect(await sh(`docker ps -q --no-trunc --filter label=edgefaas.lab=${NAME} | sort`)).toBe(ids);
    expect(statSync(lab.clusterFile).mtimeMs).toBe(mtime);
    expect(await onNode(lab, 0, 'sha256sum /etc/shadow')).toBe(shadow);
  });

  it("writes the openfaas section up needs here: the stand-in gateway and Debian's registry and monitoring, sideloaded", async () => {
    const spec = await loadCluster(lab.clusterFile);
    const images = spec.openfaas!.images;
    expect(images.gateway).toMatch(/^127\.0\.0\.1:5000\/edgefaas\/standin-gateway:[0-9a-f]{12}$/);
    expect(images['faas-swarm']).toBe(images.gateway);
    expect(images.registry).toMatch(/^127\.0\.0\.1:5000\/edgefaas\/lab-registry:/);
    expect([images.nats, images['queue-worker'], images['basic-auth-plugin']]).toEqual([null, null, null]);
    expect(spec.openfaas!.sideload).toEqual([images.gateway, images.registry, images.prometheus, images.alertmanager]);
    for (const image of spec.openfaas!.sideload) expect((await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout).toMatch(/^sha256:/);
  });

  it('accepts its cluster.yaml re-saved by another tool with the openfaas section set again, and settles', async () => {
    const doc = parse(await readFile(lab.clusterFile, 'utf8'));
    doc.openfaas = (await loadCluster(lab.clusterFile)).openfaas;
    await writeFile(lab.clusterFile, stringify(doc));
    const before = await readFile(lab.clusterFile, 'utf8');
    expect(before).not.toMatch(/^# edgefaas lab/);
    await labUp({ name: NAME, subnet: SUBNET, nodes: 3, clusterFile: lab.clusterFile, home: lab.home });
    const after = await readFile(lab.clusterFile, 'utf8');
    expect(after).toMatch(/^# edgefaas lab labtest: written by `edgefaas lab up`/);
    expect(parse(after)).toEqual(parse(before));
    const again = await labUp({ name: NAME, subnet: SUBNET, nodes: 3, clusterFile: lab.clusterFile, home: lab.home });
    expect(again.changed).toBe(false);
  });

  it('answers `lab up` and `lab status` on the command line, as text and as JSON', async () => {
    const cli = (args: string[]) => run('node', ['bin/edgefaas.js', '--config', lab.clusterFile, ...args], { env: lab.env });
    const up = await cli(['lab', 'up', '--name', NAME, '--subnet', SUBNET]);
    expect(up.stdout).toContain('lab labtest was already up (nothing changed) on 10.99.1.0/24:');
    expect(up.stdout).toMatch(/pi-2\s+10\.99\.1\.12\s+ssh -F \S+ssh_config labtest-pi-2/);
    const status = await cli(['lab', 'status', '--name', NAME]);
    expect(status.stdout.split('\n').slice(0, 4)).toEqual([
      expect.stringMatching(/^NODE\s+ADDRESS\s+STATE\s+RUNNING$/),
      expect.stringMatching(/^pi-1\s+10\.99\.1\.11\s+running\s+sshd$/),
      expect.stringMatching(/^pi-2\s+10\.99\.1\.12\s+running\s+sshd$/),
      expect.stringMatching(/^pi-3\s+10\.99\.1\.13\s+running\s+sshd$/),
    ]);
    const json = JSON.parse((await cli(['--json', 'lab', 'status', '--name', NAME])).stdout);
    expect(json.nodes.map((n: { address: string }) => n.address)).toEqual(['10.99.1.11', '10.99.1.12', '10.99.1.13']);
    const bad = await cli(['lab', 'up', '--name', NAME, '--nodes', 'three']).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--nodes must be a whole number 1 to 20, got "three"');
  });

  it('refuses to overwrite a cluster.yaml it did not write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'labfile-'));
    const mine = join(dir, 'cluster.yaml');
    await writeFile(mine, 'nodes: [{name: real-pi, address: 192.168.1.5, role: manager}]\n');
    await expect(labUp({ name: NAME, subnet: SUBNET, nodes: 3, clusterFile: mine, home: lab.home })).rejects.toThrow(/is not lab labtest's: not overwriting/);
    expect(await readFile(mine, 'utf8')).toContain('real-pi');
    await rm(dir, { recursive: true });
  });

  it('says plainly that it needs root', async () => {
    // As uid 1000 in a user namespace: a non-root user who can still read this checkout wherever it is.
    const res = await run('unshare', ['--user', '--map-user=1000', '--map-group=1000', 'node', 'bin/edgefaas.js', 'lab', 'up', '--name', NAME], {
      env: lab.env,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('lab up needs root');
    expect(res.stderr).toContain('sudo edgefaas lab up');
  });

  it('removes everything it made and nothing of another lab', async () => {
    await sh('docker network create --label edgefaas.lab=labother --subnet 10.99.9.0/24 edgefaas-lab-labother >/dev/null');
    try {
      const res = await labDown(NAME, { home: lab.home });
      expect(res.removed).toContain('network edgefaas-lab-labtest');
      expect(await sh(`docker ps -aq --filter label=edgefaas.lab=${NAME}`)).toBe('');
      expect(await sh(`docker volume ls -q --filter label=edgefaas.lab=${NAME}`)).toBe('');
      expect(await sh(`docker network ls -q --filter label=edgefaas.lab=${NAME}`)).toBe('');
      expect(await sh('ip -o link show | grep -c eflab-labtest || true')).toBe('0\n');
      expect(await sh("ps -eo args | grep -c '[e]dgefaas-lab-labtest' || true")).toBe('0\n');
      expect(await sh('iptables-save | grep -c eflab-labtest || true')).toBe('0\n');
      expect(existsSync(lab.clusterFile)).toBe(false);
      expect(existsSync(lab.info.files.dir)).toBe(false);
      expect(await sh('docker network ls -q --filter label=edgefaas.lab=labother')).not.toBe('');
      expect(await labDown(NAME, { home: lab.home })).toEqual({ name: NAME, removed: [] });
    } finally {
      await sh('docker network rm edgefaas-lab-labother >/dev/null');
    }
  });
});
