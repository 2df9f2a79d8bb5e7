/**
 * Picks the TensorFlow.js backend: the native `tensorflow` one when the optional
 * @tensorflow/tfjs-node installed (it needs libtensorflow, which many machines cannot
 * download), else WebAssembly with SIMD. The wasm build runs one thread in Node, so cores
 * are used through several workers instead (see pool.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { ENGINES, type EngineName } from './engine/types.ts';

export type BackendName = Exclude<EngineName, 'onnxruntime'>;
/** The TensorFlow.js engines, best first, in the order engine/select.ts tries them. */
const BACKENDS = ENGINES.filter((e): e is BackendName => e !== 'onnxruntime');

async function tryNative(): Promise<boolean> {
  try {
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount?.(1);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/**
 * Sets up `prefer` (one backend, for comparisons and BACKEND=), else the best available:
 * tensorflow, then wasm, then cpu. Returns the backend name and whether wasm SIMD is on.
 */
export async function initBackend(prefer?: string): Promise<{ backend: BackendName; simd: boolean }> {
  const forced = BACKENDS.find((b) => b === prefer);
  const order = forced ? [forced] : BACKENDS;
  for (const name of order) {
    const ok = name === 'tensorflow' ? await tryNative() : name === 'wasm' ? await tryWasm() : await tf.setBackend('cpu');
    if (ok) {
      await tf.ready();
      const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false;
      return { backend: name, simd };
    }
  }
  throw new Error(`no tensorflow.js backend could start (tried ${order.join(', ')})`);
}

export { tf };
