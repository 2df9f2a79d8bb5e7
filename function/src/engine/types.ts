/** What every inference engine offers a worker: ResNet50 with its two outputs, and heads on its pooled features. */

/** onnxruntime: ONNX Runtime's native CPU provider; the others are TensorFlow.js backends. */
export const ENGINES = ['onnxruntime', 'tensorflow', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINES)[number];

export function isEngineName(name: string): name is EngineName {
  return (ENGINES as readonly string[]).includes(name);
}

export interface BaseOutput {
  /** 1000 softmax scores. */
  probabilities: Float32Array;
  /** 2048 global-average-pooled features (the `avg_pool` layer). */
  features: Float32Array;
}

export interface Base {
  labels: string[];
  /** One preprocessed 224x224x3 input (NHWC) through ResNet50. */
  infer(input: Float32Array): Promise<BaseOutput>;
}

export interface Head {
  labels: string[];
  /** The head's scores for one row of pooled features. */
  run(features: Float32Array): Float32Array;
}

export interface Engine {
  name: EngineName;
  /** wasm only: whether SIMD is on. */
  simd: boolean;
  /** Threads one inference uses (intra-op). */
  threads: number;
  loadBase(modelDir: string): Promise<Base>;
  /** A head (a tfjs layers model on the 2048 pooled features, with labels.json). */
  loadHead(headDir: string): Promise<Head>;
}
