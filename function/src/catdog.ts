/**
 * The cats-vs-dogs head: a dense softmax layer trained (scripts/train-catdog) on ResNet50's
 * 2048 pooled features, stored as a tfjs layers model in function/models/catdog. It runs on
 * the `avg_pool` output of the ResNet50 the process already holds, never a second base.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { tf } from './backend.ts';
import { FEATURE_SIZE, loadLayersModelFromDir } from './model.ts';

/** Class order of the head's two outputs. */
export const CATDOG_LABELS = ['cat', 'dog'] as const;

export interface CatdogHead {
  head: tf.LayersModel;
  labels: string[];
}

/** Loads the head and checks it fits the base: 2048 features in, one score per label out. */
export async function loadCatdogHead(dir: string): Promise<CatdogHead> {
  const fix = 'run `scripts/train-catdog` or set HEAD_DIR to a trained head';
  let labels: string[];
  try {
    labels = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as string[];
  } catch (err) {
    throw new Error(`no catdog head in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${fix}`);
  }
  const head = await loadLayersModelFromDir(dir).catch((err: Error) => {
    throw new Error(`catdog head in ${dir} does not load (${err.message}); ${fix}`);
  });
  const inShape = head.inputs[0]?.shape;
  const outShape = head.outputs[0]?.shape;
  if (inShape?.[1] !== FEATURE_SIZE || outShape?.[1] !== labels.length) {
    head.dispose();
    throw new Error(`catdog head in ${dir} maps ${inShape?.[1]} features to ${outShape?.[1]} scores, expected ${FEATURE_SIZE} to ${labels.length}; ${fix}`);
  }
  return { head, labels };
}
