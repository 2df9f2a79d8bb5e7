import { execFile } from 'node:child_process';
import { appendFile, cp, readFile, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS } from '../../kit/images/platforms.ts';
import { clusterRegistryAccess, registryClientFor } from '../../kit/images/registry-access.ts';
import { buildAndPush } from '../../kit/images/run.ts';
import { loadCluster } from '../../kit/inventory/load.ts';
import { MEDIA, sha256Digest, type ImageManifest, type ManifestList } from '../../kit/registry/client.ts';
import { parseImageRef } from '../../kit/registry/reference.ts';
import { parseStack, stringifyStack } from '../../kit/openfaas/stack.ts';
import { onNode, startLab, type TestLab } from '../support/lab.ts';

const BIN = resolve(import.meta.dirname, '../../bin/edgefaas.js');
const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CACHE = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
const PHOTOS = process.env.EDGEFAAS_PHOTOS || join(CACHE, 'edgefaas', 'photos');
const DATASET = '/work/shared/datasets/dogs-vs-cats/valid';

let lab: TestLab;
let gateway: string;

/** The real CLI as a user runs it, with the lab's home and this machine's caches (model, bases, photos). */
function edgefaas(args: string[], timeoutMs = 1_200_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [BIN, '--config', lab.clusterFile, ...args],
      {
        cwd: lab.home,
        env: { PATH: process.env.PATH ?? '', HOME: lab.home, EDGEFAAS_HOME: lab.home, XDG_CACHE_HOME: CACHE, EDGEFAAS_CACHE: join(CACHE, 'edgefaas'), EDGEFAAS_PHOTOS: PHOTOS },
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

async function classify(fn: string, photo: Buffer): Promise<{ status: number; label?: string }> {
  const res = await fetch(`${gateway}/function/${fn}`, { method: 'POST', body: new Uint8Array(photo), signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status };
  return { status: 200, label: (JSON.parse(text) as { predictions: Array<{ label: string }> }).predictions[0]!.label };
}

beforeAll(async () => {
  await new Promise<void>((ok, fail) => execFile('npm', ['run', 'build:function'], { cwd: REPO_ROOT }, (e) => (e ? fail(e) : ok())));
  lab = await startLab({ name: 'deploy', subnet: '10.99.6.0/24', nodes: 2 });
  // One replica per function (cluster.yaml's scale.min): the default, one per node, is test/scaling's.
  await appendFile(lab.clusterFile, 'scale:\n  min: 1\n');
  const up = await edgefaas(['up', '--yes']);
  if (up.code !== 0) throw new Error(`edgefaas up failed: ${up.stderr}\n${up.stdout}`);
  gateway = `http://${lab.info.nodes[0]!.address}:8080`;
}, 1_800_000);

afterAll(async () => {
  await lab?.stop();
});

describe('images, deploy and invoke on the lab', () => {
  it('images push builds for the platforms the nodes report and prints digest and size per platform', { timeout: 1_200_000 }, async () => {
    const r = await edgefaas(['images', 'push', '--base', 'debian']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^linux\/amd64\s+sha256:[0-9a-f]{64}\s+\d+\.\d MB/m);
    expect(r.stdout).toContain(`list          sha256:`);
    expect(r.stdout).toContain(`${lab.info.nodes[0]!.address}:5000/edgefaas/function:`);
  });

  it('deploy writes a stack.yml that round-trips, creates both functions, waits for them and passes the smoke test', { timeout: 1_200_000 }, async () => {
    const r = await edgefaas(['deploy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^classify: created, 1 replica\(s\), (malamute|Eskimo_dog|Siberian_husky) \d\.\d{3}$/m);
    expect(r.stdout).toMatch(/^catdog: created, 1 replica\(s\), dogs? \d\.\d{3}$/im);
    expect(r.stdout).toContain(`try: curl --data-binary @cat.jpg ${gateway}/function/classify`);
    const text = await readFile(join(lab.home, 'stack.yml'), 'utf8');
    const stack = parseStack(text, { env: {} });
    expect(stringifyStack(stack, text.split('\n')[0]!.slice(2))).toBe(text);
    expect(stack.functions.classify!.environment).toMatchObject({ MODEL: 'resnet50', exec_timeout: '60s', write_timeout: '65s' });
  });

  it('answers the right label through the gateway for both functions, as curl would', { timeout: 300_000 }, async () => {
    const dog = await readFile(join(PHOTOS, 'dog.jpg'));
    expect(await classify('classify', dog)).toEqual({ status: 200, label: 'malamute' });
    // Real photos it never trained on: 5 cats, 5 dogs; the head scores ~98% on this set.
    let right = 0;
    for (const kind of ['cat', 'dog']) {
      const files = (await readdir(join(DATASET, kind))).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).slice(0, 5);
      expect(files).toHaveLength(5);
      for (const f of files) if ((await classify('catdog', await readFile(join(DATASET, kind, f)))).label === kind) right++;
    }
    expect(right).toBeGreaterThanOrEqual(8);
    const inv = await edgefaas(['invoke', 'classify', join(PHOTOS, 'dog.jpg')]);
    expect(inv.stdout).toMatch(/^malamute 0\.\d{3}, Eskimo_dog 0\.\d{3}, Siberian_husky 0\.\d{3}\n$/);
  });

  it('keeps answering across a re-deploy after a one-line code change', { timeout: 1_200_000 }, async () => {
    const app = join(lab.home, 'function-changed');
    await cp(join(REPO_ROOT, 'function'), app, { recursive: true, filter: (src) => !src.includes('/src') });
    await appendFile(join(app, 'dist', 'main.js'), `\n// one-line change ${Date.now()}\n`);
    const amd64 = PLATFORMS.filter((p) => p.debianArch === 'amd64');
    const registry = (await clusterRegistryAccess(await loadCluster(lab.clusterFile), lab.env))!;
    const { list } = await buildAndPush({ repoRoot: REPO_ROOT, platforms: amd64, base: 'debian', registry, appDir: app });
    const dog = await readFile(join(PHOTOS, 'dog.jpg'));
    let stop = false;
    const answers: Array<{ status: number; label?: string }> = [];
    const caller = (async () => {
      while (!stop) answers.push(await classify('classify', dog).catch((e: Error) => ({ status: 0, label: e.message })));
    })();
    const r = await edgefaas(['deploy', '--function', 'classify', '--image', list.reference]);
    stop = true;
    await caller;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^classify: updated, 1 replica\(s\), malamute/m);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.label !== 'malamute')).toEqual([]);
    expect(await classify('classify', dog)).toEqual({ status: 200, label: 'malamute' });
  });

  it('runs what deploy pinned: a re-push of the tag changes nothing a new replica runs, until deploy runs again', { timeout: 1_200_000 }, async () => {
    const runningImage = async () => JSON.parse(await onNode(lab, 0, "docker service inspect classify --format '{{json .Spec.TaskTemplate.ContainerSpec.Image}}'")) as string;
    /** The image ids (config digests) classify's containers run on every node. */
    const containerImages = async () => {
      const ids = new Set<string>();
      for (const i of [0, 1]) {
        const out = await onNode(lab, i, "docker ps -q --filter label=com.docker.swarm.service.name=classify | xargs -r docker inspect --format '{{.Image}}'");
        out.split('\n').filter(Boolean).forEach((id) => ids.add(id));
      }
      return ids;
    };
    const pinned = await runningImage();
    expect(pinned).toMatch(/^10\.99\.6\.11:5000\/edgefaas\/function:[0-9a-f]+@sha256:[0-9a-f]{64}$/);
    const ref = parseImageRef(pinned);
    const tagged = pinned.slice(0, pinned.indexOf('@'));
    const registry = registryClientFor((await clusterRegistryAccess(await loadCluster(lab.clusterFile), lab.env))!);

    // Someone pushes other content under the same tag: the same layers, another config (a label).
    const list = (await registry.getManifest(ref.repository, ref.tag!))!.manifest as ManifestList;
    const amd64 = list.manifests.find((m) => m.platform.architecture === 'amd64')!;
    const image = (await registry.getManifest(ref.repository, amd64.digest))!.manifest as ImageManifest;
    const config = await registry.getBlobJson<{ config: { Labels?: Record<string, string> } }>(ref.repository, image.config.digest);
    config.config.Labels = { ...(config.config.Labels ?? {}), 'edgefaas.test': `re-pushed ${Date.now()}` };
    const newConfig = Buffer.from(JSON.stringify(config));
    await registry.uploadBlob(ref.repository, newConfig);
    const newImage: ImageManifest = { ...image, config: { mediaType: MEDIA.config, size: newConfig.length, digest: sha256Digest(newConfig) } };
    const put = await registry.putManifest(ref.repository, sha256Digest(Buffer.from(JSON.stringify(newImage))), newImage);
    await registry.putManifest(ref.repository, ref.tag!, { ...list, manifests: [{ ...amd64, digest: put.digest, size: put.size }] });

    // A new replica (scaled through the gateway) runs what deploy pinned, not the re-pushed tag.
    const before = await containerImages();
    expect(before.size).toBe(1);
    const password = (await readFile(join(lab.home, 'deploy', 'gateway-password'), 'utf8')).trim();
    const auth = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    const scale = await fetch(`${gateway}/system/scale-function/classify`, { method: 'POST', headers: { Authorization: auth }, body: JSON.stringify({ serviceName: 'classify', replicas: 2 }) });
    expect(scale.status).toBe(202);
    let running = 0;
    for (let i = 0; i < 300 && running < 2; i++) {
      running = Number((await onNode(lab, 0, "docker service ps classify --filter desired-state=running --format '{{.CurrentState}}' | grep -c ^Running || true")).trim());
      if (running < 2) await new Promise((r) => setTimeout(r, 2000));
    }
    expect(running).toBe(2);
    expect(await containerImages()).toEqual(before);
    expect(await runningImage()).toBe(pinned);

    // deploy again: the tag now names the re-pushed content, and that is what runs.
    const r = await edgefaas(['deploy', '--function', 'classify', '--image', tagged, '--no-smoke']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).toMatch(new RegExp(`classify: updated \\(${tagged.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}\\)`));
    const repinned = await runningImage();
    expect(repinned).toMatch(new RegExp(`^${tagged.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`));
    expect(repinned).not.toBe(pinned);
    let ids = new Set<string>();
    for (let i = 0; i < 150; i++) {
      ids = await containerImages();
      if (ids.size === 1 && [...ids][0] === sha256Digest(newConfig)) break;
      await new Promise((res) => setTimeout(res, 2000));
    }
    expect([...ids]).toEqual([sha256Digest(newConfig)]);
  });
});
