/**
 * The function's settings, from the environment. Timeout and concurrency names are the
 * OpenFaaS of-watchdog's own (read_timeout, write_timeout, exec_timeout, max_inflight), so a
 * stack.yml `environment:` block configures this server exactly as it would the watchdog.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ONNX_MODEL_FILE } from './engine/onnx.ts';
import { ENGINES, isEngineName } from './engine/types.ts';
import { DEFAULT_MAX_PIXELS } from './preprocess.ts';

export const MODELS = ['resnet50', 'catdog'] as const;
export type ModelName = (typeof MODELS)[number];

export interface FunctionConfig {
  port: number;
  host: string;
  model: ModelName;
  /** ResNet50 files (model.json, shards, labels.json), as scripts/fetch-model leaves them. */
  modelDir: string;
  /** The catdog head (a layers model on ResNet50's pooled features, with labels.json). */
  headDir: string;
  workers: number;
  /** of-watchdog's hard cap on requests at once; Infinity when max_inflight is 0 or unset (its default). */
  maxInflight: number;
  maxBodyBytes: number;
  maxPixels: number;
  /** Memory decodes may hold at once (budget.ts): what the limit leaves beside the workers. */
  decodeMemoryBytes: number;
  /** Infinity when the variable is 0: of-watchdog reads 0 as no limit. */
  readTimeoutMs: number;
  writeTimeoutMs: number;
  execTimeoutMs: number;
  /** Force an engine (BACKEND: onnxruntime, tensorflow, wasm, cpu); unset = the best that starts. */
  backend?: string;
  /** Intra-op threads per inference (ENGINE_THREADS). */
  threads: number;
}

/** A worker's peak RSS with ResNet50 on wasm (measured ~560-600 MB), plus headroom. */
export const WORKER_MEMORY_BYTES = 650 * 1024 * 1024;
const MAIN_MEMORY_BYTES = 150 * 1024 * 1024;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Go-style durations as of-watchdog reads them: "30s", "1m30s", "500ms"; a bare integer is seconds. */
export function parseDuration(name: string, value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * unit[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== v.length) {
    throw new ConfigError(`${name}=${value} is not a duration; use seconds (30) or a Go duration (30s, 1m30s, 500ms)`);
  }
  return total;
}

/** A duration where 0 means no limit (of-watchdog's reading): Infinity. */
export function limitDuration(name: string, value: string | undefined, fallback: string): number {
  const ms = parseDuration(name, value || fallback);
  return ms === 0 ? Infinity : ms;
}

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name}=${value} must be an integer of at least ${min}`);
  return n;
}

/** Memory this process may use: the cgroup limit when a container has one, else the machine's. */
export function memoryLimitBytes(): number {
  let limit = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const n = Number(cgroupText(file));
    if (Number.isFinite(n) && n > 0) limit = Math.min(limit, n);
  }
  return limit;
}

/** A cgroup file's text, or '' where this cgroup version or controller has no such file. */
function cgroupText(file: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string {
  try {
    return read(file).trim();
  } catch {
    return '';
  }
}

/**
 * Cores a CPU quota on this process's cgroup allows, rounded up ("50000 100000" is half a core: 1);
 * Infinity without one. Node's availableParallelism() counts the machine's cores, quota or not.
 */
export function cpuQuotaCores(read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number {
  const text = (file: string) => cgroupText(file, read);
  const v2 = text('/sys/fs/cgroup/cpu.max').split(/\s+/);
  const v1 = [text('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), text('/sys/fs/cgroup/cpu/cpu.cfs_period_us')];
  let cores = Infinity;
  for (const [quota, period] of [v2, v1].map((q) => q.map(Number))) {
    if (quota! > 0 && period! > 0) cores = Math.min(cores, Math.max(1, Math.ceil(quota! / period!)));
  }
  return cores;
}

/**
 * One worker per core the process may use, but no more than memory holds (a 1 GB Pi gets one). With
 * the native TensorFlow backend one worker already spreads each predict over every core.
 */
export function defaultWorkers(cores = Math.min(availableParallelism(), cpuQuotaCores()), memory = memoryLimitBytes(), nativeBackend = false): number {
  if (nativeBackend) return 1;
  return Math.max(1, Math.min(cores, Math.floor((memory - MAIN_MEMORY_BYTES) / WORKER_MEMORY_BYTES)));
}

/** What the memory limit leaves for decoding once the workers and this process have theirs (at least 64 MB). */
export function defaultDecodeMemory(workers: number, memory = memoryLimitBytes()): number {
  return Math.max(64 * 1024 * 1024, memory - MAIN_MEMORY_BYTES - workers * WORKER_MEMORY_BYTES);
}

/** Whether the optional @tensorflow/tfjs-node installed here (resolved, not loaded). */
export function nativeBackendInstalled(): boolean {
  try {
    import.meta.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/** Whether onnxruntime-node is installed for this platform (resolved, not loaded): it ships linux x64 and arm64 binaries only. */
export function onnxRuntimeInstalled(): boolean {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) return false;
  try {
    import.meta.resolve('onnxruntime-node');
    return true;
  } catch {
    return false;
  }
}

/** MODEL_DIR, else where scripts/fetch-model puts ResNet50. */
export function defaultModelDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MODEL_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgefaas', 'models', 'resnet50');
}

const bundledHeadDir = fileURLToPath(new URL('../models/catdog', import.meta.url));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const model = (env.MODEL || 'resnet50') as ModelName;
  if (!MODELS.includes(model)) throw new ConfigError(`MODEL=${env.MODEL} is not served here; choose one of ${MODELS.join(', ')}`);
  const backend = env.BACKEND || env.TFJS_BACKEND || undefined;
  if (backend && !isEngineName(backend)) throw new ConfigError(`BACKEND=${backend} is not an engine; choose one of ${ENGINES.join(', ')}`);
  const modelDir = defaultModelDir(env);
  // ONNX Runtime runs one thread per worker; only tfjs-node spreads one predict over the cores.
  const onnx = backend ? backend === 'onnxruntime' : onnxRuntimeInstalled() && existsSync(join(modelDir, ONNX_MODEL_FILE));
  const native = !onnx && nativeBackendInstalled() && (!backend || backend === 'tensorflow');
  const workers = positiveInt('WORKERS', env.WORKERS, defaultWorkers(undefined, undefined, native));
  if (!existsSync(join(modelDir, 'model.json'))) {
    throw new ConfigError(`no ResNet50 model in ${modelDir}: run \`npm run fetch-model\` (or set MODEL_DIR to where it is)`);
  }
  return {
    port: positiveInt('PORT', env.PORT, 8080, 0),
    host: env.HOST || '0.0.0.0',
    model,
    modelDir,
    headDir: env.HEAD_DIR || bundledHeadDir,
    workers,
    // of-watchdog: 0 (its default) is no cap. The queue is bounded anyway, by what fits in exec_timeout (admission.ts).
    maxInflight: positiveInt('max_inflight', env.max_inflight, 0, 0) || Infinity,
    maxBodyBytes: positiveInt('MAX_BODY_BYTES', env.MAX_BODY_BYTES, 10 * 1024 * 1024),
    maxPixels: positiveInt('MAX_PIXELS', env.MAX_PIXELS, DEFAULT_MAX_PIXELS),
    decodeMemoryBytes: positiveInt('DECODE_MEMORY_BYTES', env.DECODE_MEMORY_BYTES, defaultDecodeMemory(workers)),
    readTimeoutMs: limitDuration('read_timeout', env.read_timeout, '30s'),
    writeTimeoutMs: limitDuration('write_timeout', env.write_timeout, '30s'),
    execTimeoutMs: limitDuration('exec_timeout', env.exec_timeout, '30s'),
    backend,
    threads: positiveInt('ENGINE_THREADS', env.ENGINE_THREADS, 1),
  };
}
