import { cp, mkdtemp, readFile, rm, appendFile, symlink, access } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../kit/gateway/index.ts';
import { buildImages, debianBase, type BuildResult } from '../../kit/images/build.ts';
import { checkCoverage, PlatformNotCoveredError } from '../../kit/images/coverage.ts';
import { ImageDocker } from '../../kit/images/docker.ts';
import { PLATFORMS, platformByDebianArch } from '../../kit/images/platforms.ts';
import { publishImages } from '../../kit/images/publish.ts';
import { pushList, type PushedList } from '../../kit/images/push.ts';
import { buildAndPush, cacheDir, modelsDir } from '../../kit/images/run.ts';
import { deployStack } from '../../kit/openfaas/deploy.ts';
import { parseStack } from '../../kit/openfaas/stack.ts';
import { MEDIA, type ImageManifest, type ManifestList } from '../../kit/registry/client.ts';
import { startLocalRegistry, type LocalRegistry } from '../../kit/registry/serve.ts';
import { asRaspberryPi4, backendOf, docker, PHOTOS, REPO_ROOT, run, runFunction, topLabel } from './support.ts';

const REPO = 'edgefaas/function';
const containers = ['imgtest-amd64', 'imgtest-arm64', 'imgtest-armv7'];
let dir: string;
let reg: LocalRegistry;
let built: BuildResult;
let list: PushedList;
const pulled: string[] = [];

beforeAll(async () => {
  await run('npm', ['run', 'build:function'], { cwd: REPO_ROOT });
  dir = await mkdtemp(join(tmpdir(), 'images-test-'));
  reg = await startLocalRegistry(join(dir, 'registry'));
  const r = await buildAndPush({ repoRoot: REPO_ROOT, platforms: [...PLATFORMS], base: 'debian', registry: reg.address });
  built = r.built;
  list = r.list;
});

afterAll(async () => {
  for (const c of containers) await docker('rm', '-f', c).catch(() => '');
  for (const ref of pulled) await docker('rmi', ref).catch(() => '');
  await reg?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('multi-arch function images', () => {
  it('puts linux/amd64, linux/arm/v7 and linux/arm64 under one manifest list in the registry', async () => {
    const got = await reg.client.getManifest(REPO, built.tag);
    const m = got!.manifest as ManifestList;
    expect(m.mediaType).toBe(MEDIA.list);
    expect(m.manifests.map((e) => e.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
      { os: 'linux', architecture: 'arm64' },
    ]);
    expect(got!.digest).toBe(list.digest);
    // Each entry's image really is built for the platform the list claims.
    for (const e of m.manifests) {
      const img = (await reg.client.getManifest(REPO, e.digest))!.manifest as ImageManifest;
      const cfg = await reg.client.getBlobJson<{ architecture: string; variant?: string; config: { User: string; Healthcheck?: unknown } }>(REPO, img.config.digest);
      expect(cfg.architecture).toBe(e.platform.architecture);
      expect(cfg.config.User).toBe('1000:1000');
      expect(cfg.config.Healthcheck).toBeDefined();
    }
  });

  it('gives a daemon that pulls the list for linux/arm/v7 the arm/v7 image', async () => {
    const ref = `${reg.address}/${REPO}:${built.tag}`;
    await docker('pull', '-q', '--platform', 'linux/arm/v7', ref);
    pulled.push(ref);
    expect(await docker('image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}/{{.Variant}}', ref)).toBe('linux/arm/v7');
  });

  it('orders layers base, node_modules, (ONNX model,) models, code, and shares the model layers across platforms', async () => {
    const m = (await reg.client.getManifest(REPO, built.tag))!.manifest as ManifestList;
    const layers = await Promise.all(m.manifests.map(async (e) => ((await reg.client.getManifest(REPO, e.digest))!.manifest as ImageManifest).layers));
    const models = layers.map((l) => l.at(-2)!);
    expect(new Set(models.map((l) => l.digest)).size).toBe(1);
    expect(models[0]!.size).toBeGreaterThan(80e6); // ResNet50's weights
    expect(layers.map((l) => l.at(-1)!.size).every((s) => s < 2e6)).toBe(true); // the code
    // amd64 and arm64 carry one more layer, the same ONNX model; armhf (no ONNX Runtime build) does not.
    const [amd64, armhf, arm64] = layers;
    expect(amd64!.at(-3)!.digest).toBe(arm64!.at(-3)!.digest);
    expect(amd64!.at(-3)!.size).toBeGreaterThan(80e6);
    expect(arm64!.length).toBe(amd64!.length);
    expect(armhf!.length).toBe(amd64!.length - 1);
  });

  it('answers dog.jpg on arm64 (ONNX Runtime, as on a Pi 4) and arm/v7 (tfjs-wasm) under QEMU with the same top-1 as on amd64 (ONNX Runtime)', { timeout: 3_000_000 }, async () => {
    const photo = await readFile(join(PHOTOS, 'dog.jpg'));
    // Each platform's own image from the list, by digest: a tag the daemon already resolved for
    // another platform would otherwise be reused as is.
    const m = (await reg.client.getManifest(REPO, built.tag))!.manifest as ManifestList;
    const byDigest = (arch: string) => `${reg.address}/${REPO}@${m.manifests.find((e) => e.platform.architecture === arch)!.digest}`;
    pulled.push(byDigest('amd64'));
    const amd64 = await runFunction(byDigest('amd64'), 'imgtest-amd64', { platform: 'linux/amd64', readyMs: 300_000 });
    const expected = await topLabel(amd64, photo);
    expect(expected).toBe('malamute');
    expect(await backendOf(amd64)).toBe('onnxruntime');
    // docker ps shows the image's own health check passing.
    let health = '';
    for (let i = 0; i < 30 && health !== 'healthy'; i++) {
      health = await docker('inspect', '-f', '{{.State.Health.Status}}', 'imgtest-amd64');
      if (health !== 'healthy') await new Promise((r) => setTimeout(r, 1000));
    }
    expect(health).toBe('healthy');
    await docker('rm', '-f', 'imgtest-amd64');
    // Under QEMU everything is ~13x slower: give the watchdog timeouts room, one photo per arch, both at once.
    const slow = { exec_timeout: '1500s', write_timeout: '1505s', read_timeout: '1505s' };
    const pi4 = await asRaspberryPi4(dir);
    const runs: Array<[platform: string, arch: string, name: string, dockerArgs: string[]]> = [
      ['linux/arm64', 'arm64', 'imgtest-arm64', pi4],
      ['linux/arm/v7', 'arm', 'imgtest-armv7', []],
    ];
    const answers = await Promise.all(
      runs.map(async ([platform, arch, name, dockerArgs]) => {
        const image = byDigest(arch);
        pulled.push(image);
        const url = await runFunction(image, name, { platform, readyMs: 1_200_000, env: slow, dockerArgs });
        const ran = await docker('inspect', '-f', '{{.Image}}', name).then((id) => docker('image', 'inspect', '-f', '{{.Architecture}}', id));
        return { platform, arch: ran, backend: await backendOf(url), label: await topLabel(url, photo) };
      }),
    );
    expect(answers).toEqual([
      { platform: 'linux/arm64', arch: 'arm64', backend: 'onnxruntime', label: expected },
      { platform: 'linux/arm/v7', arch: 'arm', backend: 'wasm', label: expected },
    ]);
  });

  it('re-pushes only the code layer after a one-line code change (under 1% of the image)', { timeout: 600_000 }, async () => {
    const app = join(dir, 'app');
    await cp(join(REPO_ROOT, 'function', 'dist'), join(app, 'dist'), { recursive: true });
    if (await access(join(REPO_ROOT, 'function', 'models')).then(() => true, () => false)) await symlink(join(REPO_ROOT, 'function', 'models'), join(app, 'models'));
    await appendFile(join(app, 'dist', 'main.js'), `\n// one-line change ${Date.now()}\n`);
    const amd64 = platformByDebianArch('amd64');
    const imageDocker = new ImageDocker();
    const env = process.env;
    const changed = await buildImages({
      repoRoot: REPO_ROOT, cacheDir: cacheDir(env), platforms: [amd64], base: (p) => debianBase(REPO_ROOT, p),
      modelsDir: modelsDir(env), appDir: app, docker: imageDocker,
    });
    expect(changed.tag).not.toBe(built.tag);
    const again = await publishImages({ built: changed, docker: imageDocker, registry: reg.client, repository: REPO, blobCacheFile: join(cacheDir(env), 'blobs.json') });
    const img = again.images[0]!;
    expect(img.layers.map((l) => l.pushed)).toEqual([false, false, false, false, true]);
    expect(img.pushedBytes / img.size).toBeLessThan(0.01);
    await docker('rmi', changed.images[0]!.ref).catch(() => '');
  });
});

describe('platform coverage before deploy', () => {
  let server: Server;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('refuses a deploy when a node platform is missing from the list, naming the node, and sends nothing', async () => {
    const m = (await reg.client.getManifest(REPO, built.tag))!.manifest as ManifestList;
    const noArmhf = m.manifests.filter((e) => e.platform.architecture !== 'arm');
    const images = noArmhf.map((e) => ({
      platform: PLATFORMS.find((p) => p.architecture === e.platform.architecture)!,
      pushed: { platform: '', digest: e.digest, manifestSize: e.size, size: 0, pushedBytes: 0, layers: [] },
    }));
    await pushList({ registry: reg.client, repository: REPO, tag: 'no-armhf', images });
    const nodes = [
      { node: 'x86-1', arch: 'amd64' },
      { node: 'pi-4', arch: 'arm64' },
      { node: 'pi-2', arch: 'armhf' },
    ];
    const image = `${reg.address}/${REPO}:no-armhf`;
    const stack = parseStack(`provider: {name: openfaas}\nfunctions:\n  classify:\n    image: ${image}\n`, { env: {} });
    const port = (server.address() as { port: number }).port;
    const attempt = deployStack({
      stack,
      gateway: new GatewayClient({ baseUrl: `http://127.0.0.1:${port}` }),
      preflight: () => checkCoverage({ registry: reg.client, repository: REPO, reference: 'no-armhf', nodes }),
    });
    await expect(attempt).rejects.toThrow(PlatformNotCoveredError);
    await expect(attempt).rejects.toThrow(`image ${image} has no build for node pi-2 (linux/arm/v7); it has linux/amd64, linux/arm64. Nothing was deployed.`);
    expect(requests).toBe(0);
    // The full list passes the same check.
    expect(await checkCoverage({ registry: reg.client, repository: REPO, reference: built.tag, nodes })).toEqual(['linux/amd64', 'linux/arm/v7', 'linux/arm64']);
  });
});
