/**
 * What a worker serves: one model name, its labels, and preprocessed input -> class scores.
 * resnet50 answers with the base's own softmax; catdog runs its head on the base's pooled
 * features, so both come from the same loaded ResNet50, on whichever engine the worker runs.
 */
import type { ModelName } from './config.ts';
import type { Engine } from './engine/types.ts';
import { INPUT_SIZE } from './input.ts';
import { topK, type Prediction } from './topk.ts';

export interface Classification {
  /** One score per label of the model asked for. */
  scores: Float32Array;
  /** catdog only: what the ImageNet base itself sees, so a photo of neither shows why. */
  imagenetTop1?: Prediction;
}

export interface Classifier {
  /** The model answered when a request names none (env MODEL). */
  model: ModelName;
  /** Every model this process answers, with its labels; all share the one loaded base. */
  models: Partial<Record<ModelName, string[]>>;
  /** One preprocessed 224x224x3 input -> scores of `which` (default: `model`). */
  classify(input: Float32Array, which?: ModelName): Promise<Classification>;
}

export async function loadClassifier(engine: Engine, model: ModelName, modelDir: string, headDir: string): Promise<Classifier> {
  const base = await engine.loadBase(modelDir);
  // The head is a few kB on the same base: load it whenever it is there, so either model answers.
  const catdog = await engine.loadHead(headDir).catch((err: Error) => {
    if (model === 'catdog') throw err;
    return undefined;
  });
  const models: Classifier['models'] = { resnet50: base.labels, ...(catdog && { catdog: catdog.labels }) };
  return {
    model,
    models,
    async classify(input, which = model) {
      const { probabilities, features } = await base.infer(input);
      if (which === 'resnet50') return { scores: probabilities };
      if (!catdog) throw new Error(`the catdog head is not loaded here (HEAD_DIR ${headDir})`);
      return { scores: catdog.run(features), imagenetTop1: topK(probabilities, base.labels, 1)[0] };
    },
  };
}

/** One predict on a blank image, so the first real request does not pay for kernel setup. */
export async function warm(classifier: Classifier): Promise<void> {
  await classifier.classify(new Float32Array(INPUT_SIZE * INPUT_SIZE * 3));
}
