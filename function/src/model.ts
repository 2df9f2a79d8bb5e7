/**
 * Loads Keras ResNet50 (tfjs layers format, as scripts/fetch-model unpacks it) once, as one
 * graph with two outputs: the 1000-way ImageNet softmax (`fc1000`) and the 2048 pooled
 * features (`avg_pool`) it is computed from. A small head trained on those features (catdog)
 * runs on the second output, so serving it never loads the base twice.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { INPUT_SIZE } from './input.ts';
import { tf } from './backend.ts';

export const FEATURE_LAYER = 'avg_pool';
export const FEATURE_SIZE = 2048;

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** A tfjs layers model from a directory holding model.json and its weight shards. */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  } catch (err) {
    throw new Error(`cannot read ${join(dir, 'model.json')} (${(err as Error).message}); run \`npm run fetch-model\` or set MODEL_DIR`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const files: string[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) files.push(join(dir, p));
  }
  // Shards are read straight into one buffer: concatenating copies would hold the weights
  // two or three times over at the moment of peak memory.
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const weightData = new ArrayBuffer(sizes.reduce((a, b) => a + b, 0));
  let offset = 0;
  for (const [i, f] of files.entries()) {
    const fh = await open(f, 'r');
    try {
      const { bytesRead } = await fh.read(new Uint8Array(weightData, offset, sizes[i]!), 0, sizes[i]!, 0);
      if (bytesRead !== sizes[i]) throw new Error(`short read of ${f}`);
    } finally {
      await fh.close();
    }
    offset += sizes[i]!;
  }
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  });
  return tf.loadLayersModel(handler);
}

/** ImageNet labels: labels.json maps "0".."999" to names (or is an array). */
export async function loadLabels(dir: string): Promise<string[]> {
  const raw = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as Record<string, string> | string[];
  if (Array.isArray(raw)) return raw;
  return Object.keys(raw)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => raw[k]!);
}

export interface ResNet50Output {
  /** count x 1000 softmax scores. */
  probabilities: Float32Array;
  /** count x 2048 global-average-pooled features (the `avg_pool` layer). */
  features: Float32Array;
}

export interface ResNet50 {
  labels: string[];
  /** Runs `count` preprocessed 224x224x3 inputs (NHWC, concatenated) through the base. */
  infer(input: Float32Array, count?: number): ResNet50Output;
  dispose(): void;
}

export async function loadResNet50(dir: string): Promise<ResNet50> {
  const [base, labels] = await Promise.all([loadLayersModelFromDir(dir), loadLabels(dir)]);
  const both = tf.model({ inputs: base.inputs, outputs: [base.outputs[0]!, base.getLayer(FEATURE_LAYER).output as tf.SymbolicTensor] });
  return {
    labels,
    infer(input, count = 1) {
      const expected = count * INPUT_SIZE * INPUT_SIZE * 3;
      if (input.length !== expected) throw new Error(`resnet50 input has ${input.length} values, expected ${expected} (${count}x${INPUT_SIZE}x${INPUT_SIZE}x3)`);
      const [p, f] = tf.tidy(() => {
        const x = tf.tensor4d(input, [count, INPUT_SIZE, INPUT_SIZE, 3]);
        const [probs, feats] = both.predict(x) as tf.Tensor[];
        return [probs!.dataSync() as Float32Array, feats!.dataSync() as Float32Array];
      });
      return { probabilities: p, features: f };
    },
    dispose() {
      base.dispose();
    },
  };
}

/** Runs a head (a layers model on the 2048 pooled features) on `count` feature rows. */
export function runHead(head: tf.LayersModel, features: Float32Array, count = 1): Float32Array {
  return tf.tidy(() => (head.predict(tf.tensor2d(features, [count, FEATURE_SIZE])) as tf.Tensor).dataSync() as Float32Array);
}
