import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type TestLab } from '../support/lab.ts';
import { onNode } from './support.ts';

const BIN = resolve(import.meta.dirname, '../../bin/edgefaas.js');
const REPO_ROOT = resolve(import.meta.dirname, '../..');
const PHOTOS = process.env.EDGEFAAS_PHOTOS || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'photos');

/** The lab's home, with this machine's caches (model, bases, photos), as a user's shell has them. */
function cliEnv(lab: TestLab): NodeJS.ProcessEnv {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return { PATH: process.env.PATH ?? '', HOME: lab.home, EDGEFAAS_HOME: lab.home, XDG_CACHE_HOME: cache, EDGEFAAS_CACHE: join(cache, 'edgefaas'), EDGEFAAS_PHOTOS: PHOTOS };
}

/**
 * The worlds users have, on real lab hosts: a manager given by DNS name (pi-1.realw.lab, in /etc/hosts
 * here and on every host, as pi-1.local is on a LAN) running Debian 13 with a dockerd that refuses
 * clients below API 1.44 (as Docker 29 does), a worker given by ~/.ssh/config alias, both Pi-sized
 * (1 GB, half a core: the cgroup limit, while /proc/meminfo shows the machine's RAM).
 * up -> images push -> deploy -> curl, in order.
 */
describe('up, push, deploy and curl on named, trixie, 1 GB hosts (lab realw)', () => {
  let lab: TestLab;
  const manager = '10.99.43.11';

  const edgefaas = (args: string[], timeoutMs = 1_500_000) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, [BIN, '--config', lab.clusterFile, ...args], { cwd: lab.home, env: cliEnv(lab), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      ),
    );

  beforeAll(async () => {
    await new Promise<void>((ok, fail) => execFile('npm', ['run', 'build:function'], { cwd: REPO_ROOT }, (e) => (e ? fail(e) : ok())));
    lab = await startLab({ name: 'realw', subnet: '10.99.43.0/24', nodes: 2, memory: '1g', cpus: 0.5, os: { 'pi-1': 'trixie' }, dockerMinApi: { 'pi-1': '1.44' } });
    // As a user writes it: the manager by its DNS name, the worker by its ~/.ssh/config alias.
    const doc = parse(await fs.readFile(lab.clusterFile, 'utf8'));
    doc.nodes[0].address = lab.info.nodes[0]!.hostName;
    doc.nodes[1].address = `realw-${lab.info.nodes[1]!.name}`;
    doc.ssh.config = lab.info.files.sshConfigFile;
    await fs.writeFile(lab.clusterFile, stringify(doc));
  }, 1_800_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('the lab host by name resolves here and on the hosts, and its dockerd refuses an old client once Docker is there', async () => {
    expect(lab.info.nodes[0]!.hostName).toBe('pi-1.realw.lab');
    expect(await fs.readFile('/etc/hosts', 'utf8')).toContain(`${manager}\tpi-1.realw.lab`);
    expect(await onNode(lab, 1, 'getent hosts pi-1.realw.lab')).toMatch(new RegExp(`^${manager.replace(/\./g, '\\.')}\\s+pi-1\\.realw\\.lab`));
    expect(await onNode(lab, 0, '. /etc/os-release; echo $VERSION_CODENAME')).toBe('trixie\n');
  });

  it('up forms the swarm at the resolved address (not docker0) and runs faas-swarm inside the API range', { timeout: 1_500_000 }, async () => {
    const up = await edgefaas(['up', '--yes']);
    expect(up.code, `${up.stderr}\n${up.stdout}`).toBe(0);
    expect(up.stdout).toContain(`gateway: http://${manager}:8080`);
    expect(up.stdout).toContain('pi-1: Docker refuses clients below 1.44: faas-swarm speaks API 1.44 instead of its pinned 1.30');
    expect(await onNode(lab, 0, 'DOCKER_API_VERSION=1.30 docker version 2>&1 | tail -1')).toContain('client version 1.30 is too old. Minimum supported API version is 1.44');
    expect(await onNode(lab, 0, "docker node ls --format '{{.Hostname}} {{.Status}}' | sort")).toBe('pi-1 Ready\npi-2 Ready\n');
    expect(await onNode(lab, 1, "docker info --format '{{.Swarm.RemoteManagers}}'")).toContain(`${manager}:2377`);
    expect(await onNode(lab, 1, 'cat /etc/docker/daemon.json')).toContain(`"${manager}:5000"`);
  });

  it("doctor's table shows per node how many replicas fit, the cgroup's 1 GB and the Docker API range", { timeout: 300_000 }, async () => {
    const d = await edgefaas(['doctor']);
    const rows = d.stdout.split('\n');
    const header = rows[0]!.split(/\s{2,}/);
    const row = (node: string) => Object.fromEntries(rows.find((r) => r.startsWith(`${node} `))!.split(/\s{2,}/).map((c, i) => [header[i], c]));
    expect(row('pi-1')).toMatchObject({ RAM: '1024M (cgroup)', CPUS: '1', REPLICAS: '1', API: '1.45 (min 1.44)' });
    expect(row('pi-2')).toMatchObject({ RAM: '1024M (cgroup)', REPLICAS: '2', API: '1.41 (min 1.12)' });
  });

  it('images push names the image after the resolved manager address', { timeout: 1_500_000 }, async () => {
    const r = await edgefaas(['images', 'push', '--base', 'debian']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${manager}:5000/edgefaas/function:`);
  });

  it('deploy schedules a replica of each function on the 1 GB hosts, sized to fit, and it answers curl', { timeout: 1_500_000 }, async () => {
    const r = await edgefaas(['deploy', '--function', 'classify']);
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    expect(r.stdout).toMatch(/^classify: created, 1 replica\(s\), (malamute|Eskimo_dog|Siberian_husky) \d\.\d{3}$/m);
    const stack = parse(await fs.readFile(join(lab.home, 'stack.yml'), 'utf8'));
    expect(stack.functions.classify).toMatchObject({ requests: { memory: '410Mi' }, limits: { memory: '800Mi' }, environment: { WORKERS: '1' } });
    const res = await fetch(`http://${manager}:8080/function/classify`, { method: 'POST', body: new Uint8Array(await fs.readFile(join(PHOTOS, 'dog.jpg'))), signal: AbortSignal.timeout(120_000) });
    expect(res.status).toBe(200);
    expect((JSON.parse(await res.text()) as { predictions: Array<{ label: string }> }).predictions[0]!.label).toBe('malamute');
  });
});
