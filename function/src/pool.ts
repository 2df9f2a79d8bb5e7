/**
 * Worker processes, each holding its own model, and a queue in front of them. One request
 * runs on one worker; with N workers, N requests infer at once on N cores. A worker may die at
 * any moment (out of memory, killed, stuck past exec_timeout): its request is answered 503, the
 * worker is started again with back-off, and the server process itself never goes down.
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
  /** Every model the workers answer, with its labels. */
  models: Partial<Record<ModelName, string[]>>;
  /** Slowest worker's load + warm-up time. */
  loadSeconds: number;
}

export interface InferResult {
  scores: Float32Array;
  imagenetTop1?: Prediction;
  /** Predict time inside the worker. */
  inferMs: number;
  /** Time spent waiting for a free worker. */
  queueMs: number;
  /** Time the worker was taken by this request (send, predict, answer back). */
  serviceMs: number;
}

export interface PoolStats {
  /** Requests waiting for a worker. */
  queued: number;
  busy: number;
  /** Workers that have loaded the model and take requests now. */
  ready: number;
  workers: number;
  /** Recent time a worker is taken per request (moving average), or the prior before any. */
  serviceSeconds: number;
}

/** The worker did not answer within exec_timeout: the server answers 504. */
export class ExecTimeoutError extends Error {
  override name = 'ExecTimeoutError';
}

/** A worker died under a request, or none is up (out of memory, killed): the server answers 503. */
export class WorkerUnavailableError extends Error {
  override name = 'WorkerUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

interface Job {
  id: number;
  input: Float32Array;
  model?: ModelName;
  queuedAt: number;
  sentAt?: number;
  resolve(r: InferResult): void;
  reject(e: Error): void;
  done: boolean;
}

type SlotState = 'starting' | 'ready' | 'dead';

interface Slot {
  index: number;
  child: ChildProcess;
  state: SlotState;
  job?: Job;
  rssBytes: number;
  readyAt?: number;
  /** Why the pool killed it (exec_timeout, lost channel), for the log line at exit. */
  killedFor?: string;
  /** Fires when the worker has been on its job for exec_timeout: then it is stuck and replaced. */
  stuckTimer?: NodeJS.Timeout;
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

/** Service time assumed before any request was measured (a ResNet50 predict on a Pi-class core). */
const PRIOR_SERVICE_MS = 1000;
const SERVICE_SMOOTHING = 0.2;
/** A worker that stayed up this long is healthy again: its next death restarts it at once. */
const STABLE_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
/** A worker whose IPC channel closed gets this long to exit by itself before SIGKILL. */
const DISCONNECT_GRACE_MS = 1000;

/** Back-off before restarting a worker after `failures` quick deaths in a row: 0, 1, 2, 4 … 30 s. */
export function restartDelayMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1));
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ?? `code ${code}`;
}

export class WorkerPool {
  private slots: Slot[] = [];
  /** Jobs waiting for a worker; a job leaves it as it is answered (expire, failQueued), so none here is done. */
  private queue: Job[] = [];
  private failures: number[] = [];
  private restartTimers = new Set<NodeJS.Timeout>();
  private nextId = 1;
  private closed = false;
  /** Moving average of the time a worker is taken per request; undefined until one was measured. */
  private serviceMs?: number;
  info?: PoolInfo;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly count: number,
    private readonly log: (line: string) => void = () => {},
    /** exec_timeout: a worker on one job this long is stuck (Infinity: never). */
    private readonly stuckAfterMs = Infinity,
  ) {}

  /** Starts every worker; resolves once all have loaded the model and warmed it. */
  async start(): Promise<PoolInfo> {
    const all = await Promise.all(Array.from({ length: this.count }, (_, i) => this.spawn(i)));
    const first = all[0]!;
    this.info = {
      backend: first.backend,
      simd: first.simd,
      threads: first.threads,
      passedOver: first.passedOver,
      workers: this.count,
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
    const slot: Slot = { index, child, state: 'starting', rssBytes: this.slots[index]?.rssBytes ?? 0 };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      let loadError: string | undefined;
      child.on('message', (msg: FromWorker) => {
        if (slot.state === 'dead') return;
        if (msg.type === 'ready') {
          slot.state = 'ready';
          slot.readyAt = Date.now();
          slot.rssBytes = msg.rssBytes;
          resolve(msg);
          this.dispatch();
        } else if (msg.type === 'failed') {
          loadError = msg.error;
        } else if (msg.type === 'result' || msg.type === 'error') {
          this.finish(slot, msg);
        }
      });
      // Without a listener, a send on a closed channel is an 'error' event that ends this process.
      child.on('error', (err) => this.kill(slot, `its channel failed (${err.message})`));
      child.on('disconnect', () => {
        if (slot.state === 'ready') slot.state = 'starting';
        setTimeout(() => this.kill(slot, 'its channel closed'), DISCONNECT_GRACE_MS).unref();
      });
      child.on('exit', (code, signal) => {
        const how = describeExit(code, signal);
        const wasReady = slot.readyAt !== undefined;
        this.retire(slot, how);
        if (!wasReady) {
          reject(
            new Error(
              loadError
                ? `worker ${index} could not load the ${this.settings.model} model from ${this.settings.modelDir}: ${loadError}`
                : `worker ${index} exited (${how}) before the model loaded`,
            ),
          );
        }
      });
    });
  }

  /** A worker answered its job. */
  private finish(slot: Slot, msg: Extract<FromWorker, { type: 'result' | 'error' }>): void {
    const job = slot.job;
    slot.job = undefined;
    clearTimeout(slot.stuckTimer);
    if (msg.type === 'result') slot.rssBytes = msg.rssBytes;
    if (job && job.id === msg.id) {
      const serviceMs = performance.now() - (job.sentAt ?? job.queuedAt);
      this.serviceMs = this.serviceMs === undefined ? serviceMs : this.serviceMs + SERVICE_SMOOTHING * (serviceMs - this.serviceMs);
      if (!job.done) {
        job.done = true;
        if (msg.type === 'result') {
          job.resolve({ scores: msg.scores, imagenetTop1: msg.imagenetTop1, inferMs: msg.inferMs, queueMs: (job.sentAt ?? job.queuedAt) - job.queuedAt, serviceMs });
        } else job.reject(new Error(`inference failed: ${msg.error}`));
      }
    }
    this.dispatch();
  }

  /** Ends a worker the pool gave up on; its exit then retires and replaces it. */
  private kill(slot: Slot, why: string): void {
    if (slot.state === 'dead') return;
    // Never offer it another job, even when it is gone already and its exit not yet seen.
    if (slot.state === 'ready') slot.state = 'starting';
    if (slot.child.exitCode !== null || slot.child.signalCode !== null) return;
    slot.killedFor ??= why;
    slot.child.kill('SIGKILL');
  }

  /** A worker is gone: answer its request 503, start another with back-off. */
  private retire(slot: Slot, how: string): void {
    if (slot.state === 'dead') return;
    const wasReady = slot.readyAt !== undefined;
    slot.state = 'dead';
    clearTimeout(slot.stuckTimer);
    const job = slot.job;
    slot.job = undefined;
    const retryAfter = this.retryAfterRestart();
    if (job && !job.done) {
      job.done = true;
      job.reject(new WorkerUnavailableError(`worker ${slot.index} exited (${how}) while classifying; retry the request`, retryAfter));
    }
    if (this.closed || this.info === undefined) return;
    const stable = wasReady && Date.now() - slot.readyAt! >= STABLE_MS;
    const failures = stable ? 0 : (this.failures[slot.index] ?? 0);
    const delay = restartDelayMs(failures);
    this.failures[slot.index] = failures + 1;
    const reason = slot.killedFor ? `${how}, ${slot.killedFor}` : how;
    this.log(
      `worker ${slot.index} ${wasReady ? 'exited' : 'failed to start'} (${reason}); ${delay ? `starting a new one in ${delay / 1000} s` : 'starting a new one'}`,
    );
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.closed) return;
      this.spawn(slot.index).then(
        () => {
          if (!this.closed) this.log(`worker ${slot.index} ready again`);
        },
        () => {}, // its exit already retired it and scheduled the next try
      );
    }, delay);
    this.restartTimers.add(timer);
    if (!this.slots.some((s) => s.state === 'ready')) this.failQueued();
    else this.dispatch();
  }

  /** Seconds until a restarted worker is likely to answer (its model load time). */
  private retryAfterRestart(): number {
    return Math.max(1, Math.ceil(this.info?.loadSeconds ?? 2));
  }

  /** No worker is up: waiting requests get 503 now rather than an unknown wait. */
  private failQueued(): void {
    const jobs = this.queue.splice(0);
    const retryAfter = this.retryAfterRestart();
    for (const job of jobs) {
      job.done = true;
      job.reject(new WorkerUnavailableError('no worker is up (restarting after a crash); retry the request', retryAfter));
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot || slot.state !== 'ready' || slot.job || !slot.child.connected) continue;
      const job = this.queue.shift();
      if (!job) return;
      this.send(slot, job);
    }
  }

  private send(slot: Slot, job: Job): void {
    slot.job = job;
    job.sentAt = performance.now();
    clearTimeout(slot.stuckTimer);
    if (Number.isFinite(this.stuckAfterMs)) {
      slot.stuckTimer = setTimeout(() => slot.job === job && this.kill(slot, 'still busy past exec_timeout'), this.stuckAfterMs);
    }
    const msg: ToWorker = { type: 'classify', id: job.id, input: job.input, model: job.model };
    const lost = (err: Error) => {
      // The job never reached the worker: another one may take it; this one is replaced.
      if (slot.job === job) slot.job = undefined;
      if (!job.done) {
        job.sentAt = undefined;
        this.queue.unshift(job);
      }
      this.kill(slot, `a request could not be sent to it (${(err as NodeJS.ErrnoException).code ?? err.message})`);
      this.dispatch();
    };
    try {
      slot.child.send(msg, (err) => err && lost(err));
    } catch (err) {
      lost(err as Error);
    }
  }

  /** Classifies one preprocessed input with `model` (default: the pool's) on the next free worker; rejects after timeoutMs (Infinity: never). */
  run(input: Float32Array, timeoutMs: number, model?: ModelName): Promise<InferResult> {
    if (!this.slots.some((s) => s.state === 'ready')) {
      return Promise.reject(new WorkerUnavailableError('no worker is up (restarting after a crash); retry the request', this.retryAfterRestart()));
    }
    return new Promise<InferResult>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        input,
        model,
        queuedAt: performance.now(),
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
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => this.expire(job, timeoutMs), Math.max(1, timeoutMs)) : undefined;
      this.queue.push(job);
      this.dispatch();
    });
  }

  /**
   * The request's exec_timeout passed: answer 504. A job still queued leaves the queue. A worker on
   * it keeps it (its answer is dropped): most of the request's time may have gone to the queue and
   * the upload, and killing a healthy worker for that would cost every queued request a 503 and the
   * model's reload. Only a worker on one job for exec_timeout itself is stuck (stuckTimer).
   */
  private expire(job: Job, timeoutMs: number): void {
    if (job.done) return;
    job.done = true;
    const at = this.queue.indexOf(job);
    if (at >= 0) this.queue.splice(at, 1);
    job.reject(new ExecTimeoutError(`classification took longer than exec_timeout (${timeoutMs / 1000}s)`));
  }

  stats(): PoolStats {
    return {
      queued: this.queue.length,
      busy: this.slots.filter((s) => s.job !== undefined).length,
      ready: this.slots.filter((s) => s.state === 'ready').length,
      workers: this.count,
      serviceSeconds: (this.serviceMs ?? PRIOR_SERVICE_MS) / 1000,
    };
  }

  /** Resident memory of each worker process, as last reported. */
  workerRss(): number[] {
    return this.slots.map((s) => s.rssBytes);
  }

  get ready(): boolean {
    return this.info !== undefined && this.slots.some((s) => s.state === 'ready');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.restartTimers) clearTimeout(t);
    for (const s of this.slots) clearTimeout(s.stuckTimer);
    this.restartTimers.clear();
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
