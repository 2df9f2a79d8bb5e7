/** Messages between the server (pool.ts) and its worker processes (worker.ts). */
import type { ModelName } from './config.ts';
import type { Prediction } from './topk.ts';

export interface WorkerSettings {
  model: ModelName;
  modelDir: string;
  headDir: string;
  /** Force an engine (env BACKEND); unset = the best that starts here. */
  backend?: string;
  /** Intra-op threads per inference (env ENGINE_THREADS, default 1). */
  threads?: number;
}

export type ToWorker = { type: 'classify'; id: number; input: Float32Array; model?: ModelName };

export type FromWorker =
  | { type: 'ready'; backend: string; simd: boolean; threads: number; passedOver: string[]; models: Partial<Record<ModelName, string[]>>; loadSeconds: number; rssBytes: number }
  | { type: 'result'; id: number; scores: Float32Array; imagenetTop1?: Prediction; inferMs: number; rssBytes: number }
  | { type: 'error'; id: number; error: string }
  | { type: 'failed'; error: string };
