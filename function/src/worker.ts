/**
 * A worker process: loads the model once, warms it, then classifies preprocessed inputs sent
 * by the server (pool.ts). wasm runs one thread per process, so each core gets its own worker.
 */
import { initBackend } from './backend.ts';
import { loadClassifier, warm } from './classifier.ts';
import type { ToWorker, FromWorker, WorkerSettings } from './protocol.ts';

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.EDGEFAAS_WORKER ?? '{}') as WorkerSettings;
  const started = performance.now();
  const { backend, simd } = await initBackend(settings.backend);
  const classifier = await loadClassifier(settings.model, settings.modelDir, settings.headDir);
  warm(classifier);
  send({ type: 'ready', backend, simd, labels: classifier.labels, models: classifier.models, loadSeconds: (performance.now() - started) / 1000, rssBytes: process.memoryUsage.rss() });

  process.on('message', (msg: ToWorker) => {
    if (msg.type !== 'classify') return;
    const t = performance.now();
    try {
      const { scores, imagenetTop1 } = classifier.classify(msg.input, msg.model);
      send({ type: 'result', id: msg.id, scores, imagenetTop1, inferMs: performance.now() - t, rssBytes: process.memoryUsage.rss() });
    } catch (err) {
      send({ type: 'error', id: msg.id, error: (err as Error).message });
    }
  });
}

process.on('disconnect', () => process.exit(0));
main().catch((err: Error) => {
  // process.send is asynchronous: exit once the pool has the reason, or it only sees the exit.
  const failed: FromWorker = { type: 'failed', error: err.message };
  if (process.send) process.send(failed, () => process.exit(1));
  else process.exit(1);
});
