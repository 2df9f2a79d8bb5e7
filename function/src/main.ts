/**
 * Entry point: listen at once (health answers 503), load the model in the workers, then serve.
 * `npm start`, `node function/dist/main.js` and `edgefaas serve` all come here.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type FunctionConfig } from './config.ts';
import { createMetrics } from './metrics.ts';
import { WorkerPool, type PoolInfo } from './pool.ts';
import { createClassifierServer } from './server.ts';

export { loadConfig, ConfigError, type FunctionConfig };

export interface RunningFunction {
  server: Server;
  port: number;
  /** Resolves when every worker has loaded and warmed the model. */
  ready: Promise<PoolInfo>;
  close(): Promise<void>;
}

export async function startFunction(config: FunctionConfig, log: (line: string) => void = (l) => console.error(l)): Promise<RunningFunction> {
  const pool = new WorkerPool({ model: config.model, modelDir: config.modelDir, headDir: config.headDir, backend: config.backend, threads: config.threads }, config.workers, log, config.execTimeoutMs);
  const metrics = createMetrics(() => pool.stats());
  const server = createClassifierServer(config, pool, metrics, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${config.host}:${config.port} (${err.code ?? err.message}); choose another with PORT=`)),
    );
    server.listen(config.port, config.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  log(`classifier: listening on ${config.host}:${port}, loading ${config.model} from ${config.modelDir} in ${config.workers} worker(s)`);
  const ready = pool.start().then((info) => {
    metrics.modelLoadSeconds.set(info.loadSeconds);
    metrics.backendInfo.set({ backend: info.backend, simd: String(info.simd), model: config.model, workers: String(info.workers) }, 1);
    log(`classifier: ready, backend ${info.backend}${info.backend === 'wasm' ? (info.simd ? ' (SIMD)' : ' (no SIMD)') : ''}, ${info.workers} worker(s) x ${info.threads} thread(s), model loaded in ${info.loadSeconds.toFixed(1)} s`);
    for (const why of info.passedOver) log(`classifier: not using ${why}`);
    return info;
  });
  return {
    server,
    port,
    ready,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    },
  };
}

async function cli(): Promise<void> {
  let running: RunningFunction;
  try {
    running = await startFunction(loadConfig());
  } catch (err) {
    console.error(`classifier: ${(err as Error).message}`);
    process.exit(2);
  }
  running.ready.catch((err: Error) => {
    console.error(`classifier: ${err.message}`);
    process.exit(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      running.close().then(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli();
