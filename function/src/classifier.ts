/**
 * What a worker serves: one model name, its labels, and preprocessed input -> class scores.
 * resnet50 answers with the base's own softmax; catdog runs its head on the base's pooled
 * features, so both come from the same loaded ResNet50.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { ModelName } from './config.ts';
import { loadLayersModelFromDir, loadResNet50, runHead } from './model.ts';
import { INPUT_SIZE } from './preprocess.ts';

export interface Classifier {
  model: ModelName;
  labels: string[];
  /** One preprocessed 224x224x3 input -> one score per label. */
  classify(input: Float32Array): Float32Array;
}

export async function loadClassifier(model: ModelName, modelDir: string, headDir: string): Promise<Classifier> {
  const base = await loadResNet50(modelDir);
  if (model === 'resnet50') {
    return { model, labels: base.labels, classify: (input) => base.infer(input).probabilities };
  }
  const [head, labels] = await Promise.all([
    loadLayersModelFromDir(headDir),
    readFile(join(headDir, 'labels.json'), 'utf8').then((t) => JSON.parse(t) as string[]),
  ]);
  return { model, labels, classify: (input) => runHead(head, base.infer(input).features) };
}

/** One predict on a blank image, so the first real request does not pay for kernel setup. */
export function warm(classifier: Classifier): void {
  classifier.classify(new Float32Array(INPUT_SIZE * INPUT_SIZE * 3));
}
