#!/usr/bin/env -S npx tsx
/**
 * Trains the cats-vs-dogs head on ResNet50's pooled features:
 *   1. every photo of DATASET/{train,valid}/{cat,dog} -> the 2048 `avg_pool` features of the
 *      same base and preprocessing the function serves, cached by photo sha256;
 *   2. L2 and epochs chosen on a seeded 80/20 split of train only;
 *   3. the head retrained on all of train with them, written to function/models/catdog;
 *   4. accuracy, per-class precision/recall and the confusion matrix on valid (never used to
 *      train or choose), printed and written to metrics.json.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, tf } from '../function/src/backend.ts';
import { CATDOG_LABELS } from '../function/src/catdog.ts';
import { FEATURE_SIZE, loadResNet50, type ResNet50 } from '../function/src/model.ts';
import { preprocess } from '../function/src/preprocess.ts';
import { defaultModelDir } from './fetch-model.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_DATASET = join(REPO, '..', 'shared', 'datasets', 'dogs-vs-cats');
export const DEFAULT_OUT = join(REPO, 'function', 'models', 'catdog');
/** Bump when preprocess.ts changes what the base sees, so cached features are not reused. */
export const PREPROCESS_VERSION = 'pil-nearest/no-icc/caffe-bgr/1';
const LEARNING_RATE = 0.01;
const L2_GRID = [0, 1e-3, 1e-2, 1e-1, 1];
const EPOCH_GRID = [50, 100, 200, 400];

// ---------- photos and their features ----------

export interface Sample {
  file: string;
  label: number;
}

/** Photos of one split, cats then dogs, each in natural name order (cat.2 before cat.10). */
export async function listSplit(dataset: string, split: 'train' | 'valid'): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const [label, name] of CATDOG_LABELS.entries()) {
    const dir = join(dataset, split, name);
    const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`train-catdog: cannot list ${dir} (${err.code}); pass --dataset DIR holding {train,valid}/{cat,dog}/*.jpg`);
    });
    const photos = files.filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (photos.length === 0) throw new Error(`train-catdog: no photos in ${dir}; pass --dataset DIR holding {train,valid}/{cat,dog}/*.jpg`);
    for (const f of photos) samples.push({ file: join(dir, f), label });
  }
  return samples;
}

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

export function featureCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'features');
}

async function featuresOf(samples: Sample[], cache: FeatureCache, base: () => Promise<ResNet50>, log: (m: string) => void): Promise<Float32Array[]> {
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

// ---------- the head ----------

export interface HeadSettings {
  l2: number;
  epochs: number;
}

/** mulberry32: a tiny seeded generator, so the split is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded, stratified split of 0..labels.length-1: `holdout` of each class goes to `check`. */
export function splitIndices(labels: number[], holdout: number, seed: number): { fit: number[]; check: number[] } {
  const rand = seeded(seed);
  const fit: number[] = [];
  const check: number[] = [];
  for (const cls of [...new Set(labels)].sort()) {
    const idx = labels.flatMap((l, i) => (l === cls ? [i] : []));
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    const k = Math.round(idx.length * holdout);
    check.push(...idx.slice(0, k));
    fit.push(...idx.slice(k));
  }
  return { fit: fit.sort((a, b) => a - b), check: check.sort((a, b) => a - b) };
}

function matrix(rows: Float32Array[]): tf.Tensor2D {
  const flat = new Float32Array(rows.length * FEATURE_SIZE);
  rows.forEach((r, i) => flat.set(r, i * FEATURE_SIZE));
  return tf.tensor2d(flat, [rows.length, FEATURE_SIZE]);
}

function buildHead(l2: number, seed: number): tf.Sequential {
  const head = tf.sequential({ name: 'catdog' });
  head.add(
    tf.layers.dense({
      name: 'catdog_head',
      inputShape: [FEATURE_SIZE],
      units: CATDOG_LABELS.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      kernelRegularizer: l2 > 0 ? tf.regularizers.l2({ l2 }) : undefined,
    }),
  );
  head.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy' });
  return head;
}

/**
 * Full-batch training of a 2048 -> 2 softmax layer: seeded init, fixed order, so a re-run gives
 * the same weights. `onEpochs` is called as each count of `checkpoints` is reached; training is
 * deterministic, so a checkpoint equals a separate run of that many epochs.
 */
export async function trainHead(
  x: Float32Array[],
  y: number[],
  settings: { l2: number; checkpoints: number[] },
  seed: number,
  onEpochs: (epochs: number, head: tf.Sequential) => void = () => {},
): Promise<tf.Sequential> {
  const head = buildHead(settings.l2, seed);
  const xs = matrix(x);
  const ys = tf.oneHot(tf.tensor1d(y, 'int32'), CATDOG_LABELS.length);
  let done = 0;
  for (const epochs of [...settings.checkpoints].sort((a, b) => a - b)) {
    await head.fit(xs, ys, { epochs: epochs - done, batchSize: x.length, shuffle: false, verbose: 0 });
    done = epochs;
    onEpochs(epochs, head);
  }
  tf.dispose([xs, ys]);
  return head;
}

/** The head's scores for each feature row. */
export function headScores(head: tf.LayersModel, x: Float32Array[]): Float32Array[] {
  const flat = tf.tidy(() => (head.predict(matrix(x)) as tf.Tensor).dataSync() as Float32Array);
  const k = CATDOG_LABELS.length;
  return x.map((_, i) => flat.slice(i * k, (i + 1) * k));
}

const argmax = (s: Float32Array) => (s[1]! > s[0]! ? 1 : 0);

export interface Tried {
  settings: HeadSettings;
  accuracy: number;
  /** Mean cross-entropy on the check part: breaks ties between equally accurate settings. */
  loss: number;
}

/** Tries each L2 x epochs on the split of train; the best accuracy wins, then the lower loss. */
export async function chooseSettings(x: Float32Array[], y: number[], split: { fit: number[]; check: number[] }, seed: number): Promise<{ best: HeadSettings; tried: Tried[] }> {
  const tried: Tried[] = [];
  const checkX = split.check.map((i) => x[i]!);
  const truth = split.check.map((i) => y[i]!);
  for (const l2 of L2_GRID) {
    const fitX = split.fit.map((i) => x[i]!);
    const fitY = split.fit.map((i) => y[i]!);
    const head = await trainHead(fitX, fitY, { l2, checkpoints: EPOCH_GRID }, seed, (epochs, h) => {
      const scores = headScores(h, checkX);
      const accuracy = scores.filter((s, i) => argmax(s) === truth[i]).length / truth.length;
      const loss = -scores.reduce((sum, s, i) => sum + Math.log(Math.max(s[truth[i]!]!, 1e-7)), 0) / truth.length;
      tried.push({ settings: { l2, epochs }, accuracy, loss });
    });
    head.dispose();
  }
  const best = [...tried].sort((a, b) => b.accuracy - a.accuracy || a.loss - b.loss)[0]!;
  return { best: best.settings, tried };
}

// ---------- scoring on valid ----------

export interface Evaluation {
  photos: number;
  accuracy: number;
  labels: string[];
  /** confusion[actual][predicted], in label order. */
  confusion: number[][];
  per_class: Record<string, { precision: number; recall: number }>;
  /** Photos the head got wrong: file name, truth and what it said. */
  misclassified: Array<{ photo: string; label: string; predicted: string }>;
}

export function evaluate(samples: Sample[], predicted: number[], labels: string[]): Evaluation {
  const confusion = labels.map(() => labels.map(() => 0));
  const misclassified: Evaluation['misclassified'] = [];
  samples.forEach((s, i) => {
    const p = predicted[i]!;
    confusion[s.label]![p]!++;
    if (p !== s.label) misclassified.push({ photo: `${basename(dirname(s.file))}/${basename(s.file)}`, label: labels[s.label]!, predicted: labels[p]! });
  });
  const round = (v: number) => Math.round(v * 10000) / 10000;
  const per_class: Evaluation['per_class'] = {};
  labels.forEach((name, c) => {
    const tp = confusion[c]![c]!;
    const predictedC = confusion.reduce((n, row) => n + row[c]!, 0);
    const actualC = confusion[c]!.reduce((n, v) => n + v, 0);
    per_class[name] = { precision: round(predictedC ? tp / predictedC : 0), recall: round(actualC ? tp / actualC : 0) };
  });
  const correct = labels.reduce((n, _, c) => n + confusion[c]![c]!, 0);
  return { photos: samples.length, accuracy: round(correct / samples.length), labels, confusion, per_class, misclassified };
}

export function formatReport(e: Evaluation): string {
  const w = Math.max(...e.labels.map((l) => l.length), 6);
  const lines = [
    `valid: ${e.photos} photos, accuracy ${(e.accuracy * 100).toFixed(1)}%`,
    `confusion (rows actual, columns predicted):`,
    `  ${''.padEnd(w)} ${e.labels.map((l) => l.padStart(w)).join(' ')}`,
    ...e.labels.map((l, r) => `  ${l.padEnd(w)} ${e.confusion[r]!.map((v) => String(v).padStart(w)).join(' ')}`),
    ...e.labels.map((l) => `${l}: precision ${(e.per_class[l]!.precision * 100).toFixed(1)}%, recall ${(e.per_class[l]!.recall * 100).toFixed(1)}%`),
  ];
  if (e.misclassified.length) lines.push(`wrong: ${e.misclassified.map((m) => `${m.photo} (said ${m.predicted})`).join(', ')}`);
  return lines.join('\n');
}

// ---------- writing the head ----------

/** Writes model.json, weights.bin, labels.json and metrics.json into `out`, swapped in whole. Returns the weights' bytes. */
export async function writeHead(head: tf.LayersModel, out: string, metrics: object): Promise<number> {
  let weights = new ArrayBuffer(0);
  let modelJson = '';
  await head.save(
    tf.io.withSaveHandler(async (a) => {
      weights = tf.io.CompositeArrayBuffer.join(a.weightData);
      modelJson = JSON.stringify({
        format: 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  const staged = `${out}.tmp-${process.pid}`;
  await rm(staged, { recursive: true, force: true });
  await mkdir(staged, { recursive: true });
  await writeFile(join(staged, 'model.json'), modelJson + '\n');
  await writeFile(join(staged, 'weights.bin'), new Uint8Array(weights));
  await writeFile(join(staged, 'labels.json'), JSON.stringify(CATDOG_LABELS) + '\n');
  await writeFile(join(staged, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  await rm(out, { recursive: true, force: true });
  await mkdir(dirname(out), { recursive: true });
  await rename(staged, out);
  return weights.byteLength + Buffer.byteLength(modelJson);
}

// ---------- the whole run ----------

export interface TrainOptions {
  dataset: string;
  out: string;
  modelDir: string;
  seed: number;
  cacheRoot?: string;
  log?: (m: string) => void;
}

export interface TrainResult {
  settings: HeadSettings;
  tried: Tried[];
  valid: Evaluation;
  headBytes: number;
}

export async function trainCatdog(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const identity = await modelIdentity(opts.modelDir);
  const train = await listSplit(opts.dataset, 'train');
  const valid = await listSplit(opts.dataset, 'valid');
  await initBackend(process.env.TFJS_BACKEND);
  const cache = new FeatureCache(identity, opts.cacheRoot);
  let resnet: ResNet50 | undefined;
  const base = async () => (resnet ??= await loadResNet50(opts.modelDir));
  try {
    const trainX = await featuresOf(train, cache, base, log);
    const validX = await featuresOf(valid, cache, base, log);
    resnet?.dispose();
    resnet = undefined;
    const trainY = train.map((s) => s.label);

    const split = splitIndices(trainY, 0.2, opts.seed);
    const { best, tried } = await chooseSettings(trainX, trainY, split, opts.seed);
    for (const t of tried) log(`train-catdog: l2=${t.settings.l2} epochs=${t.settings.epochs}: ${(t.accuracy * 100).toFixed(1)}% on the held-back 20% of train, loss ${t.loss.toFixed(4)}`);
    log(`train-catdog: chose l2=${best.l2} epochs=${best.epochs}; retraining on all ${train.length} train photos`);

    const head = await trainHead(trainX, trainY, { l2: best.l2, checkpoints: [best.epochs] }, opts.seed);
    const predicted = headScores(head, validX).map(argmax);
    const result = evaluate(valid, predicted, [...CATDOG_LABELS]);
    const headBytes = await writeHead(head, opts.out, {
      ...result,
      settings: { ...best, learning_rate: LEARNING_RATE, optimizer: 'adam', batch: 'full' },
      chosen_on: `seeded 80/20 split of train (seed ${opts.seed})`,
      seed: opts.seed,
      base: identity,
      train_photos: train.length,
    });
    head.dispose();
    return { settings: best, tried, valid: result, headBytes };
  } finally {
    resnet?.dispose();
  }
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string', default: process.env.CATDOG_DATASET ?? DEFAULT_DATASET },
      out: { type: 'string', default: DEFAULT_OUT },
      seed: { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('usage: scripts/train-catdog [--dataset DIR] [--out DIR] [--seed N]\n  DIR holds {train,valid}/{cat,dog}/*.jpg; the head goes to --out (default function/models/catdog)');
    return;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`train-catdog: --seed ${values.seed} is not a whole number`);
  const { valid, headBytes } = await trainCatdog({ dataset: values.dataset!, out: values.out!, modelDir: defaultModelDir(), seed });
  console.log(formatReport(valid));
  console.log(`head: ${values.out} (${(headBytes / 1024).toFixed(1)} kB), metrics in ${join(values.out!, 'metrics.json')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
