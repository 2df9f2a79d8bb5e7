/**
 * The cats-vs-dogs head: a dense softmax layer trained (scripts/train-catdog) on ResNet50's
 * 2048 pooled features, stored as a tfjs layers model in function/models/catdog. It runs on
 * the `avg_pool` output of the ResNet50 the process already holds, never a second base.
 */
import type { tf } from './backend.ts';
import { checkHeadShape, HEAD_FIX, readHeadLabels } from './engine/head.ts';
import { FEATURE_SIZE, loadLayersModelFromDir } from './model.ts';

/** Class order of the head's two outputs. */
export const CATDOG_LABELS = ['cat', 'dog'] as const;

export interface CatdogHead {
  head: tf.LayersModel;
  labels: string[];
}

/** Loads the head and checks it fits the base: 2048 features in, one score per label out. */
export async function loadCatdogHead(dir: string): Promise<CatdogHead> {
  const labels = await readHeadLabels(dir);
  const head = await loadLayersModelFromDir(dir).catch((err: Error) => {
    throw new Error(`catdog head in ${dir} does not load (${err.message}); ${HEAD_FIX}`);
  });
  try {
    checkHeadShape(dir, head.inputs[0]?.shape[1], head.outputs[0]?.shape[1], FEATURE_SIZE, labels);
  } catch (err) {
    head.dispose();
    throw err;
  }
  return { head, labels };
}
