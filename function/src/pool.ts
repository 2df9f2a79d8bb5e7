/**
 * Worker processes, each holding its own model, and a queue in front of them. One request
 * runs on one worker; with N workers, N requests infer at once on N cores.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ModelName } from './config.ts';
import type { Prediction } from './topk.ts';
import type { FromWorker, ToWorker, WorkerSettings } from './protocol.ts';

export interface PoolInfo {
  backend: string;
  simd: boolean;
  /** Intra-op threads per inference. */
  threads: number;
  /** Why faster engines were not used (empty when the first one started). */
  passedOver: string[];
  workers: number;
  labels: string[];
  /** Every model the workers answer, with its labels. */
  models: Partial<Record<ModelName, string[]>>;
  /** Slowest worker's load + warm-up time. */
  loadSeconds: number;
}

export interface InferResult {
  scores: Float32Array;
  imagenetTop1?: Prediction;
  inferMs: number;
}

/** The worker did not answer within exec_timeout: the server answers 504. */
export class ExecTimeoutError extends Error {
  override name = 'ExecTimeoutError';
}

/** A worker died under a request (out of memory, killed): the server answers 503. */
export class WorkerUnavailableError extends Error {
  override name = 'WorkerUnavailableError';
}

interface Job {
  id: number;
  input: Float32Array;
  model?: ModelName;
  resolve(r: InferResult): void;
  reject(e: Error): void;
  done: boolean;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  job?: Job;
  rssBytes: number;
}

const here = import.meta.url;
// Under tsx (npm start, tests) the worker is TypeScript; built (function/dist) it is plain JS.
const workerFile = fileURLToPath(new URL(here.endsWith('.ts') ? './worker.ts' : './worker.js', here));
const workerExecArgv = here.endsWith('.ts') ? ['--import', tsxLoader()] : [];

/** tsx's loader by absolute URL: a bare `tsx` would resolve from the cwd, which may be anywhere. */
function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  info?: PoolInfo;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly count: number,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Starts every worker; resolves once all have loaded the model and warmed it. */
  async start(): Promise<PoolInfo> {
    const readies = Array.from({ length: this.count }, (_, i) => this.spawn(i));
    const all = await Promise.all(readies);
    const first = all[0]!;
    this.info = {
      backend: first.backend,
      simd: first.simd,
      threads: first.threads,
      passedOver: first.passedOver,
      workers: this.count,
      labels: first.labels,
      models: first.models,
      loadSeconds: Math.max(...all.map((r) => r.loadSeconds)),
    };
    return this.info;
  }

  private spawn(index: number): Promise<Extract<FromWorker, { type: 'ready' }>> {
    const child = fork(workerFile, [], {
      execArgv: workerExecArgv,
      serialization: 'advanced',
      env: { ...process.env, EDGEFAAS_WORKER: JSON.stringify(this.settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const slot: Slot = { child, ready: false, rssBytes: 0 };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      child.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          slot.ready = true;
          slot.rssBytes = msg.rssBytes;
          resolve(msg);
          this.dispatch();
        } else if (msg.type === 'failed') {
          reject(new Error(`worker ${index} could not load the ${this.settings.model} model from ${this.settings.modelDir}: ${msg.error}`));
        } else if (msg.type === 'result' || msg.type === 'error') {
          const job = slot.job;
          slot.job = undefined;
          if (msg.type === 'result') slot.rssBytes = msg.rssBytes;
          if (job && job.id === msg.id && !job.done) {
            job.done = true;
            if (msg.type === 'result') job.resolve({ scores: msg.scores, imagenetTop1: msg.imagenetTop1, inferMs: msg.inferMs });
            else job.reject(new Error(`inference failed: ${msg.error}`));
          }
          this.dispatch();
        }
      });
      child.on('exit', (code, signal) => {
        const wasReady = slot.ready;
        slot.ready = false;
        const job = slot.job;
        slot.job = undefined;
        if (job && !job.done) {
          job.done = true;
          job.reject(new WorkerUnavailableError(`worker ${index} exited (${signal ?? `code ${code}`}) while classifying; retry the request`));
        }
        if (!wasReady) reject(new Error(`worker ${index} exited (${signal ?? `code ${code}`}) before the model loaded`));
        if (wasReady && !this.closed) {
          this.log(`worker ${index} exited (${signal ?? `code ${code}`}); starting a new one`);
          this.spawn(index).catch((err: Error) => this.log(err.message));
        }
      });
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot || !slot.ready || slot.job) continue;
      let job = this.queue.shift();
      while (job && job.done) job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      const msg: ToWorker = { type: 'classify', id: job.id, input: job.input, model: job.model };
      slot.child.send(msg);
    }
  }

  /** Classifies one preprocessed input with `model` (default: the pool's) on the next free worker; rejects after timeoutMs. */
  run(input: Float32Array, timeoutMs: number, model?: ModelName): Promise<InferResult> {
    return new Promise<InferResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (job.done) return;
        job.done = true;
        reject(new ExecTimeoutError(`classification took longer than exec_timeout (${timeoutMs / 1000}s)`));
      }, timeoutMs);
      const job: Job = {
        id: this.nextId++,
        input,
        model,
        done: false,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Resident memory of each worker process, as last reported. */
  workerRss(): number[] {
    return this.slots.map((s) => s.rssBytes);
  }

  get ready(): boolean {
    return this.info !== undefined && this.slots.some((s) => s.ready);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
            s.child.once('exit', () => resolve());
            s.child.kill('SIGTERM');
          }),
      ),
    );
  }
}
