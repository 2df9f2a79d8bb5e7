/** Messages between the server (pool.ts) and its worker processes (worker.ts). */
import type { ModelName } from './config.ts';
import type { Prediction } from './topk.ts';

export interface WorkerSettings {
  model: ModelName;
  modelDir: string;
  headDir: string;
  backend?: string;
}

export type ToWorker = { type: 'classify'; id: number; input: Float32Array; model?: ModelName };

export type FromWorker =
  | { type: 'ready'; backend: string; simd: boolean; labels: string[]; models: Partial<Record<ModelName, string[]>>; loadSeconds: number; rssBytes: number }
  | { type: 'result'; id: number; scores: Float32Array; imagenetTop1?: Prediction; inferMs: number; rssBytes: number }
  | { type: 'error'; id: number; error: string }
  | { type: 'failed'; error: string };
