/** TensorFlow.js (tfjs-node's native TensorFlow, else wasm, or the plain JS cpu backend) as an engine. */
import { initBackend, type BackendName } from '../backend.ts';
import { loadCatdogHead } from '../catdog.ts';
import { loadResNet50, runHead } from '../model.ts';
import type { Engine } from './types.ts';

/** Starts `backend` (unset: the best TensorFlow.js backend here); throws when it cannot start. */
export async function startTfjs(backend?: BackendName | string): Promise<Engine> {
  const started = await initBackend(backend);
  return {
    name: started.backend,
    simd: started.simd,
    threads: 1,
    async loadBase(dir) {
      const model = await loadResNet50(dir);
      return { labels: model.labels, infer: async (input) => model.infer(input) };
    },
    async loadHead(dir) {
      const { head, labels } = await loadCatdogHead(dir);
      return { labels, run: (features) => runHead(head, features) };
    },
  };
}
