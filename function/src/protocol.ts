/** Messages between the server (pool.ts) and its worker processes (worker.ts). */
import type { ModelName } from './config.ts';

export interface WorkerSettings {
  model: ModelName;
  modelDir: string;
  headDir: string;
  backend?: string;
}

export type ToWorker = { type: 'classify'; id: number; input: Float32Array };

export type FromWorker =
  | { type: 'ready'; backend: string; simd: boolean; labels: string[]; loadSeconds: number; rssBytes: number }
  | { type: 'result'; id: number; scores: Float32Array; inferMs: number; rssBytes: number }
  | { type: 'error'; id: number; error: string }
  | { type: 'failed'; error: string };
