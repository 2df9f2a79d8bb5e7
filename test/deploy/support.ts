/** The real CLI against a test lab, as a user runs it, with this machine's caches (model, bases, photos). */
import { execFile } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PLATFORMS } from '../../kit/images/platforms.ts';
import type { PushedList } from '../../kit/images/push.ts';
import { clusterRegistryAccess } from '../../kit/images/registry-access.ts';
import { buildAndPush } from '../../kit/images/run.ts';
import { loadCluster } from '../../kit/inventory/load.ts';
import type { TestLab } from '../support/lab.ts';

export const BIN = resolve(import.meta.dirname, '../../bin/edgefaas.js');
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CACHE = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
export const PHOTOS = process.env.EDGEFAAS_PHOTOS || join(CACHE, 'edgefaas', 'photos');

export function edgefaasOnLab(lab: TestLab, args: string[], timeoutMs = 1_200_000, config = lab.clusterFile): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(
      process.execPath,
      [BIN, '--config', config, ...args],
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

/** `npm run build:function`: what images push packs. */
export function buildFunction(): Promise<void> {
  return new Promise<void>((ok, fail) => execFile('npm', ['run', 'build:function'], { cwd: REPO_ROOT }, (e) => (e ? fail(e) : ok())));
}

/**
 * The function with the test's change to a copy of it (`change` edits the folder), built for amd64 and
 * pushed to the lab's registry as `images push` pushes: under its content tag and `latest`.
 */
export async function pushChangedFunction(lab: TestLab, change: (appDir: string) => Promise<void>): Promise<PushedList> {
  const app = await mkdtemp(join(lab.home, 'function-changed-'));
  await cp(join(REPO_ROOT, 'function'), app, { recursive: true, filter: (src) => !src.startsWith(join(REPO_ROOT, 'function', 'src')) });
  await change(app);
  const amd64 = PLATFORMS.filter((p) => p.debianArch === 'amd64');
  const registry = (await clusterRegistryAccess(await loadCluster(lab.clusterFile), lab.env))!;
  return (await buildAndPush({ repoRoot: REPO_ROOT, platforms: amd64, base: 'debian', registry, appDir: app })).list;
}
