/**
 * bench/images: what a push costs after a one-line code change, image size per platform, and
 * how much longer an arm build takes than amd64 (no QEMU in the build: it should be about 1).
 * Side by side in one run, against Debian's registry on 127.0.0.1. Last line: one JSON object.
 *
 *   npx tsx bench/images.ts [--rounds 2]
 */
import { execFile } from 'node:child_process';
import { appendFile, access, cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildImages, debianBase } from '../kit/images/build.ts';
import { ImageDocker } from '../kit/images/docker.ts';
import { PLATFORMS, platformString } from '../kit/images/platforms.ts';
import { publishImages } from '../kit/images/publish.ts';
import { cacheDir, modelsDir } from '../kit/images/run.ts';
import { startLocalRegistry } from '../kit/registry/serve.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 2) || 2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (s: string) => console.error(s);

await run('npm', ['run', 'build:function'], { cwd: root });
const dir = await mkdtemp(join(tmpdir(), 'bench-images-'));
const reg = await startLocalRegistry(join(dir, 'registry'));
const docker = new ImageDocker();
// Its own local tags, so removing them at the end never touches edgefaas/function.
const common = { repository: 'edgefaas/bench-function', repoRoot: root, cacheDir: cacheDir(), modelsDir: modelsDir(), docker, base: (p: (typeof PLATFORMS)[number]) => debianBase(root, p) };
try {
  // Warm what is not under test: bases and node_modules staging.
  await buildImages({ ...common, platforms: PLATFORMS, appDir: join(root, 'function') });

  // Full builds (no layer cache), platforms interleaved per round so load hits all alike.
  const buildMs: Record<string, number[]> = {};
  let built;
  for (let r = 0; r < rounds; r++) {
    for (const p of PLATFORMS) {
      const b = await buildImages({ ...common, platforms: [p], appDir: join(root, 'function'), noCache: true });
      (buildMs[p.debianArch] ??= []).push(b.images[0]!.buildMs);
      log(`round ${r + 1}: ${platformString(p)} built in ${(b.images[0]!.buildMs / 1000).toFixed(1)} s`);
    }
  }
  built = await buildImages({ ...common, platforms: PLATFORMS, appDir: join(root, 'function') });

  const blobCacheFile = join(dir, 'blobs.json');
  const first = await publishImages({ built, docker, registry: reg.client, repository: 'bench/function', blobCacheFile });
  log(`first push: ${(first.pushedBytes / 1e6).toFixed(1)} MB`);

  // A one-line code change, then build (cached layers) and push again.
  const app = join(dir, 'app');
  await cp(join(root, 'function', 'dist'), join(app, 'dist'), { recursive: true });
  if (await access(join(root, 'function', 'models')).then(() => true, () => false)) await symlink(join(root, 'function', 'models'), join(app, 'models'));
  await appendFile(join(app, 'dist', 'main.js'), `\n// one-line change ${Date.now()}\n`);
  const changed = await buildImages({ ...common, platforms: PLATFORMS, appDir: app });
  const t = Date.now();
  const second = await publishImages({ built: changed, docker, registry: reg.client, repository: 'bench/function', blobCacheFile });
  const repushMs = Date.now() - t;

  const ratio = Math.max(...second.images.map((i) => i.pushedBytes / i.size));
  const amd = median(buildMs.amd64!);
  const result = {
    code_change_push_ratio: Number(ratio.toFixed(6)),
    code_change_pushed_kb: Object.fromEntries(second.images.map((i) => [i.platform, Number((i.pushedBytes / 1e3).toFixed(1))])),
    code_change_push_s: Number((repushMs / 1000).toFixed(1)),
    image_mb: Object.fromEntries(first.images.map((i) => [i.platform, Number((i.size / 1e6).toFixed(1))])),
    first_push_mb: Number((first.pushedBytes / 1e6).toFixed(1)),
    build_s: Object.fromEntries(PLATFORMS.map((p) => [platformString(p), Number((median(buildMs[p.debianArch]!) / 1000).toFixed(1))])),
    arm_build_over_amd64: Number((Math.max(median(buildMs.armhf!), median(buildMs.arm64!)) / amd).toFixed(2)),
    rounds,
  };
  for (const b of [...built.images, ...changed.images]) await docker.docker.getImage(b.ref).remove().catch(() => undefined);
  console.log(JSON.stringify(result));
} finally {
  await reg.stop();
  await rm(dir, { recursive: true, force: true });
}
