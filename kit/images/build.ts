import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contextTar } from './context.ts';
import { ensureFunctionBuilt, SOURCES_STAMP } from './function-build.ts';
import type { ImageDocker } from './docker.ts';
import { platformString, type ImagePlatform } from './platforms.ts';
import { stageNodeModules } from './stage.ts';

const run = promisify(execFile);

/** What users get as the base; the lab and CI build theirs from Debian packages (scripts/build-base). */
export const DEFAULT_BASE = 'node:20-bookworm-slim';
export const DEFAULT_REPOSITORY = 'edgefaas/function';
/** Where the Dockerfiles expect things (the image's WORKDIR, and XDG_CACHE_HOME/edgefaas/models). */
const APP = '/home/app/function';
const MODELS = '/home/app/.cache/edgefaas/models';

export interface BuildRequest {
  repoRoot: string;
  cacheDir: string;
  platforms: readonly ImagePlatform[];
  /** Base image per platform (build arg BASE). */
  base: (p: ImagePlatform) => Promise<string> | string;
  /** Holds one folder per model (resnet50/, catdog/): the image's model cache. */
  modelsDir: string;
  /** The function folder: src/ + tsconfig.json (compiled into dist/ when needed) or a built dist/, models/ if it bundles any, package.json if it has one. */
  appDir: string;
  repository?: string;
  noCache?: boolean;
  docker: ImageDocker;
  log?: (line: string) => void;
}

export interface BuiltImage {
  platform: ImagePlatform;
  /** Local reference, repository:TAG-ARCH. */
  ref: string;
  id: string;
  /** Uncompressed size as the daemon reports it. */
  size: number;
  buildMs: number;
}

export interface BuildResult {
  /** Derived from the images' ids: equal inputs give the same tag, any change a new one. */
  tag: string;
  images: BuiltImage[];
}

export class MissingInputError extends Error {
  override name = 'MissingInputError';
}

const partial = (rel: string) => rel.split('/').some((s) => s.startsWith('.fetch-model-') || s.endsWith('.tmp') || s.includes('.tmp-'));
/** resnet50/resnet50.onnx and the files recorded beside it (scripts/onnx/make.ts). */
const isOnnxModel = (rel: string) => /(^|\/)[^/]+\.onnx(\.[a-z0-9.]+)?$/.test(rel);

/** Builds the function image for each platform, one at a time (no buildx needed). */
export async function buildImages(r: BuildRequest): Promise<BuildResult> {
  const repository = r.repository ?? DEFAULT_REPOSITORY;
  await ensureFunctionBuilt(r.appDir, r.log);
  await mustExist(r.modelsDir, 'the model cache', 'npm run fetch-model');
  if (r.platforms.some((p) => p.onnxRuntime)) await mustExist(join(r.modelsDir, 'resnet50', 'resnet50.onnx'), 'the ONNX model', 'npm run fetch-model');
  const appPackage = await fs.readFile(join(r.appDir, 'package.json'), 'utf8').catch(() => JSON.stringify({ type: 'module' }));
  const bundledModels = join(r.appDir, 'models');
  const hasBundledModels = await fs.access(bundledModels).then(() => true, () => false);
  const built: BuiltImage[] = [];
  for (const p of r.platforms) {
    const started = Date.now();
    const deps = await stageNodeModules({ platform: p, repoRoot: r.repoRoot, cacheDir: r.cacheDir, log: r.log });
    const dockerfile = await fs.readFile(join(r.repoRoot, p.dockerfileDir, 'Dockerfile'), 'utf8');
    const base = await r.base(p);
    const local = `${repository}:${p.debianArch}`;
    r.log?.(`${platformString(p)}: docker build (base ${base})`);
    const context = contextTar({
      dockerfile,
      files: { [`layers/app${APP}/package.json`]: appPackage },
      parts: [
        { from: join(deps, 'node_modules'), to: `layers/deps${APP}/node_modules` },
        // The Keras model serves every platform (tfjs); the ONNX one only where ONNX Runtime runs, in its own layer.
        { from: r.modelsDir, to: `layers/models${MODELS}`, skip: (rel) => partial(rel) || isOnnxModel(rel) },
        ...(p.onnxRuntime ? [{ from: r.modelsDir, to: `layers/onnx${MODELS}`, skip: (rel: string) => partial(rel) || !(isOnnxModel(rel) || !rel.includes('/')) }] : []),
        { from: join(r.appDir, 'dist'), to: `layers/app${APP}/dist`, skip: (rel) => rel.endsWith('.map') || rel === SOURCES_STAMP },
        // The function's own small models (the catdog head) travel with its code.
        ...(hasBundledModels ? [{ from: bundledModels, to: `layers/app${APP}/models` }] : []),
      ],
    });
    const id = await r.docker.build({
      context: context as unknown as NodeJS.ReadableStream,
      tag: local,
      platform: platformString(p),
      buildArgs: { BASE: base },
      noCache: r.noCache,
    });
    const info = await r.docker.inspect(local);
    const arch = info?.Architecture;
    if (arch !== p.architecture) {
      throw new MissingInputError(`${platformString(p)}: the built image says architecture ${arch}; is base ${base} built for ${platformString(p)}?`);
    }
    built.push({ platform: p, ref: local, id, size: info?.Size ?? 0, buildMs: Date.now() - started });
  }
  const tag = createHash('sha256')
    .update(built.map((b) => `${platformString(b.platform)}=${b.id}`).sort().join('\n'))
    .digest('hex')
    .slice(0, 12);
  for (const b of built) {
    const [repo, t] = [repository, `${tag}-${b.platform.debianArch}`];
    await r.docker.docker.getImage(b.id).tag({ repo, tag: t });
    b.ref = `${repo}:${t}`;
  }
  return { tag, images: built };
}

/** A base from Debian packages for this platform (scripts/build-base), cached by its recipe. */
export async function debianBase(repoRoot: string, p: ImagePlatform): Promise<string> {
  try {
    const { stdout } = await run(join(repoRoot, 'scripts/build-base'), ['--arch', p.debianArch, '--include', 'nodejs', '--name', 'node'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim().split('\n').pop()!;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new MissingInputError(`scripts/build-base --arch ${p.debianArch} failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-5).join('\n')}`, { cause: e });
  }
}

async function mustExist(path: string, what: string, fix: string): Promise<void> {
  try {
    await fs.access(path);
  } catch {
    throw new MissingInputError(`${what} is missing (${path}); run: ${fix}`);
  }
}
