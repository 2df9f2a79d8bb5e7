/**
 * Loads Keras ResNet50 (tfjs layers format, as scripts/fetch-model unpacks it) once, as one
 * graph with two outputs: the 1000-way ImageNet softmax (`fc1000`) and the 2048 pooled
 * features (`avg_pool`) it is computed from. A small head trained on those features (catdog)
 * runs on the second output, so serving it never loads the base twice.
 */
import { FEATURE_SIZE, INPUT_SIZE } from './input.ts';
import { tf } from './backend.ts';
import { loadLabels, readLayersModelFiles } from './engine/files.ts';

export { FEATURE_SIZE, loadLabels };

export const FEATURE_LAYER = 'avg_pool';

/** A tfjs layers model from a directory holding model.json and its weight shards. */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(await readLayersModelFiles(dir)));
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
