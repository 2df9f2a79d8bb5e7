/**
 * The HTTP side, keeping the of-watchdog HTTP-mode contract: GET /_/health is 503 until the
 * model is loaded, POST (any path) classifies, timeouts and max_inflight as the watchdog has them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { admit } from './admission.ts';
import { extractImage, HttpError, readBody, tooLarge } from './body.ts';
import { decodeCost, MemoryBudget } from './budget.ts';
import { MODELS, type FunctionConfig, type ModelName } from './config.ts';
import type { Metrics } from './metrics.ts';
import { topK, type Prediction } from './topk.ts';
import { uploadPage } from './page.ts';
import { ExecTimeoutError, WorkerUnavailableError, type InferResult, type PoolInfo, type PoolStats } from './pool.ts';
import { ImageInputError, preprocess } from './preprocess.ts';

/** What the server needs from the worker pool. */
export interface Inference {
  readonly ready: boolean;
  readonly info?: PoolInfo;
  run(input: Float32Array, timeoutMs: number, model?: ModelName): Promise<InferResult>;
  stats(): PoolStats;
  workerRss(): number[];
}

export interface ClassifyAnswer {
  model: string;
  predictions: Prediction[];
  /** catdog: the ImageNet base's own top class, so a photo of neither cat nor dog shows why. */
  imagenet_top1?: Prediction;
  /** decode: body to model input; queue: waiting for a free worker; infer: predict in the worker. */
  timings_ms: { decode: number; queue: number; infer: number };
}

const MAX_TOP = 20;

function parseTop(url: URL): number {
  const raw = url.searchParams.get('top');
  if (raw === null || raw === '') return 3;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) throw new HttpError(400, `top=${raw} is not a whole number from 1 to ${MAX_TOP}`);
  return n;
}

/** `?model=` picks another model the process holds (they share one base); default: env MODEL. */
function parseModel(url: URL, fallback: ModelName, served: PoolInfo['models']): ModelName {
  const raw = url.searchParams.get('model');
  if (raw === null || raw === '') return fallback;
  if (!(MODELS as readonly string[]).includes(raw) || !served[raw as ModelName]) {
    throw new HttpError(400, `model=${raw} is not served here; choose one of ${Object.keys(served).join(', ')}`);
  }
  return raw as ModelName;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function wantsText(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/plain') && !accept.includes('application/json');
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** of-watchdog's header: the gateway passes it on, the async queue worker reports it. */
function stampDuration(res: ServerResponse, started: number): void {
  res.setHeader('X-Duration-Seconds', ((performance.now() - started) / 1000).toFixed(6));
}

/** Where each request's time went, as the standard header (ms): the gateway passes it on, bench reads it. */
function serverTiming(res: ServerResponse, t: { read: number; decode: number; queue: number; infer: number }): void {
  res.setHeader('Server-Timing', Object.entries(t).map(([k, v]) => `${k};dur=${v.toFixed(1)}`).join(', '));
}

/**
 * Most clients (Python's urllib and requests, Node's fetch with a Buffer) send the whole body
 * before they read any answer, and urllib asks for Connection: close. Closing as soon as the
 * answer is out cuts them off mid-send: a broken pipe, never the JSON. So a refused body is read
 * and thrown away, up to these bounds: the status line and headers go at once (a client that
 * looks sees the refusal early), the JSON body once the request body is in. A proxy in between
 * (the gateway) also reads an answer as complete at its last byte and may then hang up on the
 * client, so that byte must wait for the body too. Past a bound: answer, then cut.
 */
export const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
export const DRAIN_MAX_MS = 10_000;

function sendRefusal(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  if (req.complete) {
    res.end(text);
    return;
  }
  res.flushHeaders();
  let drained = 0;
  const stop = () => {
    clearTimeout(timer);
    req.removeListener('end', finish);
    req.removeListener('close', finish);
  };
  const finish = () => {
    stop();
    if (!res.writableEnded) res.end(text);
  };
  const cut = () => {
    stop();
    if (res.writableEnded) req.socket.destroy();
    else res.end(text, () => req.socket.destroy());
  };
  const timer = setTimeout(cut, DRAIN_MAX_MS).unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_MAX_BYTES) cut();
  });
  req.once('end', finish);
  req.once('close', finish);
  req.resume();
}

export function createClassifierServer(config: FunctionConfig, inference: Inference, metrics: Metrics, log: (line: string) => void = console.error): Server {
  let inflight = 0;
  const page = uploadPage(config.model);
  const pageHeaders = { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) };
  const decodeMemory = new MemoryBudget(config.decodeMemoryBytes);

  /** Body bytes to model input, holding its share of the decode memory while the pixels decode. */
  function decode(bytes: Buffer): Promise<Float32Array> {
    return preprocess(bytes, { maxPixels: config.maxPixels, reserve: (header) => decodeMemory.acquire(decodeCost(header, bytes.length)) });
  }

  async function classify(req: IncomingMessage, res: ServerResponse, url: URL, started: number, info: PoolInfo): Promise<void> {
    const top = parseTop(url);
    const model = parseModel(url, config.model, info.models);
    const body = await readBody(req, config.maxBodyBytes);
    const decodeStart = performance.now();
    const readMs = decodeStart - started;
    const bytes = await extractImage(body, req.headers['content-type']);
    const input = await decode(bytes);
    const decodeMs = performance.now() - decodeStart;
    // of-watchdog's exec_timeout runs from the request's start: the upload and the decode count.
    const remaining = Math.max(1, config.execTimeoutMs - (performance.now() - started));
    const { scores, imagenetTop1, inferMs, queueMs, serviceMs } = await inference.run(input, remaining, model);
    metrics.inferenceSeconds.observe(inferMs / 1000);
    metrics.serviceSeconds.observe(serviceMs / 1000);
    serverTiming(res, { read: readMs, decode: decodeMs, queue: queueMs, infer: inferMs });
    const predictions = topK(scores, info.models[model]!, top).map((p) => ({ ...p, score: round3(p.score) }));
    if (wantsText(req)) {
      const text = predictions.map((p) => `${p.label} ${p.score.toFixed(3)}`).join('\n') + '\n';
      stampDuration(res, started);
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const answer: ClassifyAnswer = {
      model,
      predictions,
      ...(imagenetTop1 && { imagenet_top1: { ...imagenetTop1, score: round3(imagenetTop1.score) } }),
      timings_ms: { decode: round3(decodeMs), queue: round3(queueMs), infer: round3(inferMs) },
    };
    stampDuration(res, started);
    sendJson(res, 200, answer);
  }

  function statusOf(err: unknown): { status: number; message: string; headers?: Record<string, string> } {
    if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
    if (err instanceof ImageInputError) return { status: err.status, message: err.message };
    if (err instanceof ExecTimeoutError) return { status: 504, message: `classification took longer than exec_timeout (${config.execTimeoutMs / 1000}s)` };
    if (err instanceof WorkerUnavailableError) return { status: 503, message: err.message, headers: { 'Retry-After': String(err.retryAfterSeconds) } };
    return { status: 500, message: `internal error: ${(err as Error).message}` };
  }

  /** Answers before the body is read (not loaded yet, queue full): what is refused. */
  function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string, retryAfterSeconds: number): void {
    metrics.requests.inc({ status: String(status) });
    sendRefusal(req, res, status, { error }, { 'Retry-After': String(retryAfterSeconds) });
  }

  async function handleClassify(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!inference.ready || !inference.info) {
      const loading = inference.info ? 'no worker is up (restarting after a crash)' : 'the model is still loading';
      return refuse(req, res, 503, `${loading}; retry in a few seconds`, Math.max(2, Math.ceil(inference.info?.loadSeconds ?? 2)));
    }
    const stats = inference.stats();
    const admission = admit({ ahead: inflight, workers: stats.ready, serviceSeconds: stats.serviceSeconds }, config);
    if (!admission.admit) return refuse(req, res, 429, admission.error, admission.retryAfterSeconds);
    inflight++;
    metrics.inflight.set(inflight);
    const end = metrics.requestSeconds.startTimer();
    const started = performance.now();
    // of-watchdog's write_timeout: an answer not written by then is cut off (0: no limit).
    const writeTimer = Number.isFinite(config.writeTimeoutMs) ? setTimeout(() => res.writableFinished || res.destroy(), config.writeTimeoutMs) : undefined;
    try {
      await classify(req, res, url, started, inference.info);
      metrics.requests.inc({ status: String(res.statusCode) });
    } catch (err) {
      const { status, message, headers } = statusOf(err);
      if (status === 500) log(`classify: ${message}`);
      metrics.requests.inc({ status: String(status) });
      if (!res.headersSent) {
        stampDuration(res, started);
        sendRefusal(req, res, status, { error: message }, headers);
      }
    } finally {
      clearTimeout(writeTimer);
      end();
      inflight--;
      metrics.inflight.set(inflight);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://function');
    const path = url.pathname;
    if (path === '/_/health') {
      const ok = inference.ready;
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
      res.end(ok ? 'OK' : 'model loading');
      return;
    }
    if (path === '/_/info' && req.method === 'GET') {
      const info = inference.info;
      sendJson(res, 200, {
        model: config.model,
        models: Object.keys(info?.models ?? {}),
        ready: inference.ready,
        backend: info?.backend ?? null,
        simd: info?.simd ?? null,
        threads: info?.threads ?? null,
        workers: config.workers,
        workers_ready: inference.stats().ready,
        model_load_seconds: info?.loadSeconds ?? null,
        max_inflight: Number.isFinite(config.maxInflight) ? config.maxInflight : 0,
        exec_timeout_seconds: Number.isFinite(config.execTimeoutMs) ? config.execTimeoutMs / 1000 : 0,
        max_body_bytes: config.maxBodyBytes,
        max_pixels: config.maxPixels,
        worker_rss_mb: inference.workerRss().map((b) => Math.round(b / 1048576)),
      });
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      inference.workerRss().forEach((b, i) => metrics.workerRss.set({ worker: String(i) }, b));
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    if (req.method === 'POST' && !path.startsWith('/_/')) return handleClassify(req, res, url);
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/' || path === '') {
        res.writeHead(200, pageHeaders);
        res.end(req.method === 'HEAD' ? undefined : page);
        return;
      }
      sendJson(res, 404, { error: `nothing at ${path}: POST an image to / to classify it` });
      return;
    }
    sendJson(res, 405, { error: `${req.method} is not served: POST an image to classify it` }, { Allow: 'GET, POST' });
  }

  // Node checks request timeouts on this interval (30 s by default): make read_timeout hold to within a quarter.
  const checkEvery = Math.max(250, Math.min(30_000, Math.floor(config.readTimeoutMs / 4)));
  const server = createServer({ connectionsCheckingInterval: checkEvery }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      log(`request failed: ${err.message}`);
      if (!res.headersSent) sendJson(res, 500, { error: `internal error: ${err.message}` });
      else res.destroy();
    });
  });
  // curl sends Expect: 100-continue for large uploads: refuse an announced oversize body before it is sent.
  server.on('checkContinue', (req, res) => {
    const declared = Number(req.headers['content-length']);
    if (req.method === 'POST' && Number.isFinite(declared) && declared > config.maxBodyBytes) {
      metrics.requests.inc({ status: '413' });
      sendJson(res, 413, { error: tooLarge(config.maxBodyBytes).message }, { Connection: 'close' });
      return;
    }
    res.writeContinue();
    server.emit('request', req, res);
  });
  // read_timeout 0 is no limit, which is Node's 0 too.
  server.requestTimeout = Number.isFinite(config.readTimeoutMs) ? config.readTimeoutMs : 0;
  server.headersTimeout = Math.min(config.readTimeoutMs, 60_000);
  return server;
}
