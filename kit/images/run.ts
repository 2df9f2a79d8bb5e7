import { homedir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../registry/client.ts';
import { registryClientFor, type RegistryAccess } from './registry-access.ts';
import { buildImages, debianBase, DEFAULT_BASE, DEFAULT_REPOSITORY, type BuildResult } from './build.ts';
import { ImageDocker } from './docker.ts';
import { platformString, type ImagePlatform } from './platforms.ts';
import { publishImages } from './publish.ts';
import { mb, type PushedList } from './push.ts';

export interface ImagesRun {
  repoRoot: string;
  platforms: ImagePlatform[];
  /** An image for every platform, or "debian" for scripts/build-base's (the lab, CI). */
  base?: string;
  registry?: string | RegistryAccess;
  repository?: string;
  noCache?: boolean;
  /** The function folder (default: the repo's function/). */
  appDir?: string;
  env?: NodeJS.ProcessEnv;
  docker?: ImageDocker;
  log?: (line: string) => void;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.EDGEFAAS_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas'), 'images');
}

export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'models');
}

/** edgefaas images build: every platform, from function/dist and the model cache. */
export async function buildForPlatforms(o: ImagesRun): Promise<BuildResult> {
  const env = o.env ?? process.env;
  const base = o.base ?? DEFAULT_BASE;
  return buildImages({
    repoRoot: o.repoRoot,
    cacheDir: cacheDir(env),
    platforms: o.platforms,
    base: (p) => (base === 'debian' ? debianBase(o.repoRoot, p) : base),
    modelsDir: modelsDir(env),
    appDir: o.appDir ?? join(o.repoRoot, 'function'),
    repository: o.repository ?? DEFAULT_REPOSITORY,
    noCache: o.noCache,
    docker: o.docker ?? new ImageDocker(),
    log: o.log,
  });
}

/** The repository images go to: edgefaas/function, under the registry's namespace when it has one. */
export function repositoryIn(access: Pick<RegistryAccess, 'namespace'> | undefined, repository = DEFAULT_REPOSITORY): string {
  return access?.namespace ? `${access.namespace}/${repository}` : repository;
}

/**
 * edgefaas images push: the build (cached when nothing changed), then the registry: a host:port
 * (plain HTTP on loopback, verified HTTPS elsewhere, no credentials) or the cluster's registry access.
 */
export async function buildAndPush(o: ImagesRun & { registry: string | RegistryAccess }): Promise<{ built: BuildResult; list: PushedList }> {
  const docker = o.docker ?? new ImageDocker();
  const access = typeof o.registry === 'string' ? undefined : o.registry;
  const registry = access ? registryClientFor(access) : new RegistryClient({ address: o.registry as string });
  // Refused credentials are said before minutes of building.
  if (access?.auth) await registry.login();
  const built = await buildForPlatforms({ ...o, docker });
  const list = await publishImages({
    built,
    docker,
    registry,
    repository: o.repository ?? repositoryIn(access),
    blobCacheFile: join(cacheDir(o.env), 'blobs.json'),
    log: o.log,
  });
  return { built, list };
}

export function formatBuild(b: BuildResult): string {
  return b.images.map((i) => `${platformString(i.platform).padEnd(13)} ${i.ref}  ${mb(i.size)}  (${(i.buildMs / 1000).toFixed(1)} s)`).join('\n');
}

export function formatPush(l: PushedList): string {
  return [
    ...l.images.map((i) => `${i.platform.padEnd(13)} ${i.digest}  ${mb(i.size)}  (sent ${mb(i.pushedBytes)})`),
    `${'list'.padEnd(13)} ${l.digest}  ${l.reference}`,
  ].join('\n');
}
