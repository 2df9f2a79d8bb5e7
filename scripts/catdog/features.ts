/** ResNet50 pooled features of each photo, cached on disk by photo sha256 and model identity. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FEATURE_SIZE, type ResNet50 } from '../../function/src/model.ts';
import { preprocess } from '../../function/src/preprocess.ts';
import type { Sample } from './photos.ts';

/** Bump when preprocess.ts changes what the base sees, so cached features are not reused. */
const PREPROCESS_VERSION = 'pil-nearest/no-icc/caffe-bgr/1';

/** Which base and preprocessing produced a feature: the model package's integrity + our version. */
export async function modelIdentity(modelDir: string): Promise<string> {
  let stamp: { package?: string; integrity?: string };
  try {
    stamp = JSON.parse(await readFile(join(modelDir, '.edgefaas-model.json'), 'utf8'));
  } catch {
    throw new Error(`train-catdog: no ResNet50 in ${modelDir} (no .edgefaas-model.json); run \`scripts/fetch-model\` first`);
  }
  return `${stamp.package}#${stamp.integrity}#${PREPROCESS_VERSION}`;
}

/** Pooled features on disk, one 8 kB file per photo sha256, under a directory per model identity. */
export class FeatureCache {
  readonly dir: string;
  constructor(identity: string, root = featureCacheRoot()) {
    this.dir = join(root, createHash('sha256').update(identity).digest('hex').slice(0, 16));
  }
  async get(photoHash: string): Promise<Float32Array | undefined> {
    const buf = await readFile(join(this.dir, `${photoHash}.f32`)).catch(() => undefined);
    if (!buf || buf.length !== FEATURE_SIZE * 4) return undefined;
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  }
  async put(photoHash: string, features: Float32Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${photoHash}.f32`);
    // Write then rename, so a run cut short never leaves a half-written feature behind.
    await writeFile(`${file}.tmp`, new Uint8Array(features.buffer, features.byteOffset, features.byteLength));
    await rename(`${file}.tmp`, file);
  }
}

function featureCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'features');
}

export async function featuresOf(samples: Sample[], cache: FeatureCache, base: () => Promise<ResNet50>, log: (m: string) => void): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const missing: Array<{ i: number; bytes: Buffer; hash: string }> = [];
  for (const [i, s] of samples.entries()) {
    const bytes = await readFile(s.file);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const cached = await cache.get(hash);
    out[i] = cached ?? new Float32Array(0);
    if (!cached) missing.push({ i, bytes, hash });
  }
  if (missing.length === 0) return out;
  log(`train-catdog: extracting features of ${missing.length} photo(s), ${samples.length - missing.length} cached in ${cache.dir}`);
  const resnet = await base();
  const started = performance.now();
  for (const [n, m] of missing.entries()) {
    const input = await preprocess(m.bytes).catch((err: Error) => {
      throw new Error(`train-catdog: cannot read ${samples[m.i]!.file}: ${err.message}; remove or replace the photo`);
    });
    const features = resnet.infer(input).features;
    await cache.put(m.hash, features);
    out[m.i] = features;
    if ((n + 1) % 50 === 0 || n + 1 === missing.length) {
      log(`train-catdog: ${n + 1}/${missing.length} photos, ${((performance.now() - started) / (n + 1)).toFixed(0)} ms each`);
    }
  }
  return out;
}
