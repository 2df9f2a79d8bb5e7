/**
 * Reading a tfjs layers model directory (model.json + weight shards) and labels.json without
 * loading TensorFlow.js, so an engine that does not use it (ONNX Runtime) never pays for it.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

export type LayersModelFiles = tf.io.ModelArtifacts & { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer };

/** model.json and its weight shards read into one buffer, as tf.io.fromMemory takes them. */
export async function readLayersModelFiles(dir: string): Promise<LayersModelFiles> {
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
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
}

/** float32 weights by name ("conv1/kernel"), views into the files' one buffer. */
export function weightsByName(files: LayersModelFiles): Map<string, { shape: number[]; data: Float32Array }> {
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const spec of files.weightSpecs) {
    if (spec.dtype !== 'float32' || spec.quantization) throw new Error(`weight ${spec.name} is ${spec.dtype}${spec.quantization ? ' (quantized)' : ''}; only float32 is supported`);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (offset + n * 4 > files.weightData.byteLength) throw new Error(`weight ${spec.name} runs past the end of the shards`);
    weights.set(spec.name, { shape: spec.shape, data: new Float32Array(files.weightData, offset, n) });
    offset += n * 4;
  }
  if (offset !== files.weightData.byteLength) throw new Error(`shards hold ${files.weightData.byteLength} bytes, the manifest names ${offset}`);
  return weights;
}

/** ImageNet labels: labels.json maps "0".."999" to names (or is an array). */
export async function loadLabels(dir: string): Promise<string[]> {
  const raw = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as Record<string, string> | string[];
  if (Array.isArray(raw)) return raw;
  return Object.keys(raw)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => raw[k]!);
}
