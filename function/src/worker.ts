/**
 * A worker process: starts the inference engine, loads the model once, warms it, then
 * classifies preprocessed inputs sent by the server (pool.ts). Each inference uses one thread
 * (ENGINE_THREADS to change), so each core gets its own worker.
 */
import { loadClassifier, warm } from './classifier.ts';
import { startEngine } from './engine/select.ts';
import type { ToWorker, FromWorker, WorkerSettings } from './protocol.ts';

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.EDGEFAAS_WORKER ?? '{}') as WorkerSettings;
  const started = performance.now();
  const { engine, passedOver } = await startEngine({ prefer: settings.backend, modelDir: settings.modelDir, threads: settings.threads });
  const classifier = await loadClassifier(engine, settings.model, settings.modelDir, settings.headDir);
  await warm(classifier);
  send({
    type: 'ready',
    backend: engine.name,
    simd: engine.simd,
    threads: engine.threads,
    passedOver,
    models: classifier.models,
    loadSeconds: (performance.now() - started) / 1000,
    rssBytes: process.memoryUsage.rss(),
  });

  // One request at a time (the pool sends the next after this answer), so inferences never overlap.
  process.on('message', (msg: ToWorker) => {
    if (msg.type !== 'classify') return;
    const t = performance.now();
    classifier.classify(msg.input, msg.model).then(
      ({ scores, imagenetTop1 }) => send({ type: 'result', id: msg.id, scores, imagenetTop1, inferMs: performance.now() - t, rssBytes: process.memoryUsage.rss() }),
      (err: Error) => send({ type: 'error', id: msg.id, error: err.message }),
    );
  });
}

process.on('disconnect', () => process.exit(0));
main().catch((err: Error) => {
  // process.send is asynchronous: exit once the pool has the reason, or it only sees the exit.
  const failed: FromWorker = { type: 'failed', error: err.message };
  if (process.send) process.send(failed, () => process.exit(1));
  else process.exit(1);
});
