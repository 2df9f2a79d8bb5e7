/**
 * Runs the same preprocessed inputs through two engines and measures how far their answers
 * are apart: the largest absolute difference of any softmax score and of any pooled feature,
 * and how many inputs got a different top-1 class.
 */
import type { Base } from '../../function/src/engine/types.ts';

export interface Agreement {
  inputs: number;
  maxAbsSoftmax: number;
  maxAbsFeature: number;
  /** Largest |feature| seen, so the feature difference can be read as relative. */
  maxFeature: number;
  top1Differs: number;
  /** Index of each input whose top-1 differs. */
  differing: number[];
}

const argmax = (xs: Float32Array) => xs.reduce((best, v, i) => (v > xs[best]! ? i : best), 0);

export async function compareBases(a: Base, b: Base, inputs: Iterable<Float32Array> | AsyncIterable<Float32Array>): Promise<Agreement> {
  const r: Agreement = { inputs: 0, maxAbsSoftmax: 0, maxAbsFeature: 0, maxFeature: 0, top1Differs: 0, differing: [] };
  for await (const input of inputs) {
    const [x, y] = [await a.infer(input), await b.infer(input)];
    for (let i = 0; i < x.probabilities.length; i++) r.maxAbsSoftmax = Math.max(r.maxAbsSoftmax, Math.abs(x.probabilities[i]! - y.probabilities[i]!));
    for (let i = 0; i < x.features.length; i++) {
      r.maxAbsFeature = Math.max(r.maxAbsFeature, Math.abs(x.features[i]! - y.features[i]!));
      r.maxFeature = Math.max(r.maxFeature, Math.abs(x.features[i]!));
    }
    if (argmax(x.probabilities) !== argmax(y.probabilities)) {
      r.top1Differs++;
      r.differing.push(r.inputs);
    }
    r.inputs++;
  }
  return r;
}

/**
 * Fixed inputs in the range the caffe preprocessing gives (BGR minus the ImageNet means):
 * a blank image, seeded noise, and smooth gradients with edges (closer to what photos hold).
 */
export function fixedInputs(size = 224): Float32Array[] {
  const n = size * size * 3;
  const blank = new Float32Array(n);
  let seed = 20260101;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const noise = Float32Array.from({ length: n }, () => rand() * 255 - 123.68);
  const means = [103.939, 116.779, 123.68];
  const shapes = new Float32Array(n);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) {
        const inside = (x - 80) ** 2 + (y - 120) ** 2 < 50 ** 2 || (x > 140 && y > 30 && y < 90);
        const v = inside ? 60 + 40 * c : (x * (c + 1) + y * (3 - c)) % 256;
        shapes[(y * size + x) * 3 + c] = v - means[c]!;
      }
  return [blank, noise, shapes];
}
