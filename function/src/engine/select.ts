/**
 * Picks the inference engine at start-up: ONNX Runtime where its native binary loads (linux
 * x64, arm64) and the converted model is there, else TensorFlow.js (tfjs-node when installed,
 * else wasm: armhf and anywhere else). BACKEND= forces one and fails loudly if it cannot start.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ONNX_MODEL_FILE, startOnnxRuntime } from './onnx.ts';
import { startTfjs } from './tfjs.ts';
import { ENGINES, isEngineName, type Engine, type EngineName } from './types.ts';

export interface Selected {
  engine: Engine;
  /** Why engines earlier in the order were passed over (empty when the first one started). */
  passedOver: string[];
}

export async function startEngine(o: { prefer?: string; modelDir: string; threads?: number }): Promise<Selected> {
  const threads = o.threads ?? 1;
  if (o.prefer !== undefined && !isEngineName(o.prefer)) throw new Error(`BACKEND=${o.prefer} is not an engine; choose one of ${ENGINES.join(', ')}`);
  const order: EngineName[] = o.prefer ? [o.prefer] : [...ENGINES];
  const passedOver: string[] = [];
  for (const name of order) {
    try {
      if (name === 'onnxruntime') {
        if (!o.prefer && !existsSync(join(o.modelDir, ONNX_MODEL_FILE))) {
          passedOver.push(`onnxruntime: no ${ONNX_MODEL_FILE} in ${o.modelDir} (\`npm run fetch-model\` makes it)`);
          continue;
        }
        return { engine: await startOnnxRuntime(threads), passedOver };
      }
      return { engine: await startTfjs(name), passedOver };
    } catch (err) {
      if (o.prefer) throw new Error(`BACKEND=${name} cannot start here: ${(err as Error).message.split('\n')[0]}`);
      passedOver.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no inference engine could start (${passedOver.join('; ')})`);
}
