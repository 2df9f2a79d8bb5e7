import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRegistryAccess, registryClientFor } from '../../kit/images/registry-access.ts';
import { loadCluster } from '../../kit/inventory/load.ts';
import { RegistryClient, type ImageManifest, type ManifestList } from '../../kit/registry/client.ts';
import { buildFunction, edgefaasOnLab, PHOTOS, pushChangedFunction } from '../deploy/support.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

/**
 * The worlds users have, on real lab hosts: a manager given by DNS name (pi-1.realw.lab, in /etc/hosts
 * here and on every host, as pi-1.local is on a LAN) running Debian 13 with a dockerd that refuses
 * clients below API 1.44 (as Docker 29 does), a worker given by ~/.ssh/config alias, both Pi-sized
 * (1 GB, half a core: the cgroup limit, while /proc/meminfo shows the machine's RAM).
 * up -> images push -> deploy -> curl, then a re-push of the deployed tag, in order. Lab realw, 10.99.43.0/24.
 */
describe('up, push, deploy and curl on named, trixie, 1 GB hosts (lab realw)', () => {
  let lab: TestLab;
  const manager = '10.99.43.11';
  const registry = `${manager}:5000`;
  const gateway = `http://${manager}:8080`;
  /** The manifest list the first `images push` published. */
  let firstPush: string;

  const edgefaas = (args: string[]) => edgefaasOnLab(lab, args, 1_500_000);

  beforeAll(async () => {
    await buildFunction();
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
    expect(up.stdout).toContain(`gateway: ${gateway}`);
    expect(up.stdout).toContain('pi-1: Docker refuses clients below 1.44: faas-swarm speaks API 1.44 instead of its pinned 1.30');
    expect(await onNode(lab, 0, 'DOCKER_API_VERSION=1.30 docker version 2>&1 | tail -1')).toContain('client version 1.30 is too old. Minimum supported API version is 1.44');
    expect(await onNode(lab, 0, "docker node ls --format '{{.Hostname}} {{.Status}}' | sort")).toBe('pi-1 Ready\npi-2 Ready\n');
    expect(await onNode(lab, 1, "docker info --format '{{.Swarm.RemoteManagers}}'")).toContain(`${manager}:2377`);
    expect(await onNode(lab, 1, 'cat /etc/docker/daemon.json')).toContain(`"${registry}"`);
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
    const list = new RegExp(`^list\\s+(sha256:[0-9a-f]{64})\\s+${registry.replace(/\./g, '\\.')}/edgefaas/function:[0-9a-f]+$`, 'm').exec(r.stdout);
    expect(list, r.stdout).not.toBeNull();
    firstPush = list![1]!;
  });

  it('deploy schedules a replica of each function on the 1 GB hosts, sized to fit, and it answers curl', { timeout: 1_500_000 }, async () => {
    const r = await edgefaas(['deploy', '--function', 'classify']);
    expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
    expect(r.stdout).toMatch(/^classify: created, 1 replica\(s\), (malamute|Eskimo_dog|Siberian_husky) \d\.\d{3}$/m);
    const stack = parse(await fs.readFile(join(lab.home, 'stack.yml'), 'utf8'));
    expect(stack.functions.classify).toMatchObject({ requests: { memory: '410Mi' }, limits: { memory: '800Mi' }, environment: { WORKERS: '1' } });
    const res = await fetch(`${gateway}/function/classify`, { method: 'POST', body: new Uint8Array(await fs.readFile(join(PHOTOS, 'dog.jpg'))), signal: AbortSignal.timeout(120_000) });
    expect(res.status).toBe(200);
    expect((JSON.parse(await res.text()) as { predictions: Array<{ label: string }> }).predictions[0]!.label).toBe('malamute');
  });

  /** What classify's running replicas run, from each node's dockerd: task id and the image (config digest) of its container. */
  async function runningReplicas(): Promise<Array<{ task: string; image: string; node: number }>> {
    const out = [];
    for (const node of [0, 1]) {
      const ps = await onNode(lab, node, "docker ps -q --filter label=com.docker.swarm.service.name=classify | xargs -r docker inspect --format '{{index .Config.Labels \"com.docker.swarm.task.id\"}} {{.Image}}'");
      for (const line of ps.split('\n').filter(Boolean)) {
        const [task, image] = line.split(' ');
        out.push({ task: task!, image: image!, node });
      }
    }
    return out;
  }

  /** Polls (bounded) until `ok` holds for classify's running replicas; returns them. */
  async function replicasWhen(ok: (r: Awaited<ReturnType<typeof runningReplicas>>) => boolean, what: string) {
    let last: Awaited<ReturnType<typeof runningReplicas>> = [];
    for (let i = 0; i < 120; i++) {
      last = await runningReplicas();
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 5000));
    }
    throw new Error(`classify's replicas never became ${what}: ${JSON.stringify(last)}`);
  }

  /** The upload page a replica serves at GET (through the gateway, as a browser gets it), once it answers. */
  async function page(): Promise<string> {
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${gateway}/function/classify`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
      if (res?.status === 200) return res.text();
      await new Promise((r) => setTimeout(r, 5000));
    }
    throw new Error(`${gateway}/function/classify never answered GET`);
  }

  /** The image (config digest) the amd64 entry of a manifest list names: what a node that pulls it runs. */
  async function amd64Config(list: string): Promise<string> {
    const reg = registryClientFor((await clusterRegistryAccess(await loadCluster(lab.clusterFile), lab.env))!);
    const entries = ((await reg.getManifest('edgefaas/function', list))!.manifest as ManifestList).manifests;
    const amd64 = entries.find((m) => m.platform.architecture === 'amd64')!;
    return ((await reg.getManifest('edgefaas/function', amd64.digest))!.manifest as ImageManifest).config.digest;
  }

  it('a re-push of the deployed tag changes nothing a new replica runs until deploy runs again; the LAN registry refuses an anonymous push', { timeout: 2_400_000 }, async () => {
    const anonymous = new RegistryClient({ address: registry, tls: 'none' });
    await expect(anonymous.uploadBlob('edgefaas/anything', Buffer.from('unauthenticated push'))).rejects.toThrow(`registry ${registry} wants a login`);

    // The user deploys the mutable tag that every `images push` moves.
    const latest = `${registry}/edgefaas/function:latest`;
    const first = await edgefaas(['deploy', '--function', 'classify', '--image', latest]);
    expect(first.code, `${first.stderr}\n${first.stdout}`).toBe(0);
    const serviceImage = async () => (await onNode(lab, 0, "docker service inspect classify --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'")).trim();
    expect(await serviceImage()).toBe(`${latest}@${firstPush}`);
    const v1 = await amd64Config(firstPush);
    const [before] = await replicasWhen((r) => r.length === 1, 'one');
    expect(before!.image).toBe(v1);
    expect(await page()).toContain('<h1>Image classifier</h1>');

    // New code pushed to the same tag: latest now names another image.
    const changed = await pushChangedFunction(lab, async (app) => {
      const file = join(app, 'dist', 'page.js');
      await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('<h1>Image classifier</h1>', '<h1>Image classifier, re-pushed</h1>'));
    });
    const reg = registryClientFor((await clusterRegistryAccess(await loadCluster(lab.clusterFile), lab.env))!);
    expect((await reg.getManifest('edgefaas/function', 'latest'))!.digest).toBe(changed.digest);
    expect(changed.digest).not.toBe(firstPush);
    const v2 = await amd64Config(changed.digest);
    expect(v2).not.toBe(v1);

    // The replica dies (as on a reboot or an OOM kill); Swarm starts a new task, which pulls afresh.
    await onNode(lab, before!.node, `docker ps -q --filter label=com.docker.swarm.task.id=${before!.task} | xargs -r docker kill`);
    const [after] = await replicasWhen((r) => r.length === 1 && r[0]!.task !== before!.task, 'a new one');
    expect(after!.image).toBe(v1);
    expect(await serviceImage()).toBe(`${latest}@${firstPush}`);
    const old = await page();
    expect(old).toContain('<h1>Image classifier</h1>');
    expect(old).not.toContain('re-pushed');

    // deploy again: now the tag's new digest runs.
    const again = await edgefaas(['deploy', '--function', 'classify', '--image', latest]);
    expect(again.code, `${again.stderr}\n${again.stdout}`).toBe(0);
    expect(again.stdout).toMatch(/^classify: updated, 1 replica\(s\), (malamute|Eskimo_dog|Siberian_husky) \d\.\d{3}$/m);
    expect(await serviceImage()).toBe(`${latest}@${changed.digest}`);
    const [redeployed] = await replicasWhen((r) => r.length === 1 && r[0]!.image !== v1, 'the new image alone');
    expect(redeployed!.image).toBe(v2);
    expect(await page()).toContain('<h1>Image classifier, re-pushed</h1>');
  });
});
