/** The 2048 -> 2 softmax head: seeded split, training, L2 x epochs choice, and writing it out. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tf } from '../../function/src/backend.ts';
import { CATDOG_LABELS } from '../../function/src/catdog.ts';
import { FEATURE_SIZE, runHead } from '../../function/src/model.ts';

export const LEARNING_RATE = 0.01;
const L2_GRID = [0, 1e-3, 1e-2, 1e-1, 1];
const EPOCH_GRID = [50, 100, 200, 400];

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

function flatten(rows: Float32Array[]): Float32Array {
  const flat = new Float32Array(rows.length * FEATURE_SIZE);
  rows.forEach((r, i) => flat.set(r, i * FEATURE_SIZE));
  return flat;
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
  const xs = tf.tensor2d(flatten(x), [x.length, FEATURE_SIZE]);
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
  const flat = runHead(head, flatten(x), x.length);
  const k = CATDOG_LABELS.length;
  return x.map((_, i) => flat.slice(i * k, (i + 1) * k));
}

export const argmax = (s: Float32Array) => (s[1]! > s[0]! ? 1 : 0);

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
