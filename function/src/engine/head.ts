/**
 * A head on ResNet50's pooled features, read without TensorFlow.js: the heads train-catdog
 * writes are one Dense layer with a softmax, so an engine that has no tfjs (ONNX Runtime) runs
 * them as a plain dot product. The checks are shared with catdog.ts's tfjs loader.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLayersModelFiles, weightsByName } from './files.ts';
import type { Head } from './types.ts';

export const HEAD_FIX = 'run `scripts/train-catdog` or set HEAD_DIR to a trained head';

export async function readHeadLabels(dir: string): Promise<string[]> {
  try {
    return JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as string[];
  } catch (err) {
    throw new Error(`no catdog head in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${HEAD_FIX}`);
  }
}

/** Throws unless the head maps `features` inputs to one score per label. */
export function checkHeadShape(dir: string, inputs: number | null | undefined, outputs: number | null | undefined, features: number, labels: string[]): void {
  if (inputs !== features || outputs !== labels.length) {
    throw new Error(`catdog head in ${dir} maps ${inputs} features to ${outputs} scores, expected ${features} to ${labels.length}; ${HEAD_FIX}`);
  }
}

interface DenseConfig {
  class_name?: string;
  config?: { units?: number; activation?: string; use_bias?: boolean; name?: string };
}

export async function loadDenseHead(dir: string, features: number): Promise<Head> {
  const labels = await readHeadLabels(dir);
  const files = await readLayersModelFiles(dir).catch((err: Error) => {
    throw new Error(`catdog head in ${dir} does not load (${err.message}); ${HEAD_FIX}`);
  });
  const layers = (files.modelTopology as { config?: { layers?: DenseConfig[] } }).config?.layers ?? [];
  const dense = layers[0];
  if (layers.length !== 1 || dense?.class_name !== 'Dense' || dense.config?.activation !== 'softmax') {
    throw new Error(`catdog head in ${dir} is not one Dense softmax layer, which is all this engine runs without TensorFlow.js; ${HEAD_FIX}`);
  }
  const weights = weightsByName(files);
  const name = dense.config.name;
  const kernel = weights.get(`${name}/kernel`);
  const bias = dense.config.use_bias === false ? undefined : weights.get(`${name}/bias`);
  checkHeadShape(dir, kernel?.shape[0], kernel?.shape[1], features, labels);
  const units = labels.length;
  return {
    labels,
    run(x) {
      // In doubles, then softmax: matches tfjs's float32 result to ~1e-7.
      const z = new Float64Array(units);
      for (let u = 0; u < units; u++) {
        let s = bias?.data[u] ?? 0;
        for (let i = 0; i < features; i++) s += x[i]! * kernel!.data[i * units + u]!;
        z[u] = s;
      }
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return Float32Array.from(e, (v) => v / sum);
    },
  };
}
