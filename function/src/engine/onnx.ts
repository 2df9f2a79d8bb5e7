/**
 * ONNX Runtime (onnxruntime-node's native CPU provider) running the ResNet50 graph that
 * scripts/fetch-model converts from the same Keras weights. Its binary exists for linux x64 and
 * arm64 only: elsewhere the import throws and the worker falls back to TensorFlow.js.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_SIZE, INPUT_SIZE } from '../input.ts';
import { loadLabels } from './files.ts';
import { loadDenseHead } from './head.ts';
import type { Base, Engine } from './types.ts';

/** The converted model, beside the Keras files in MODEL_DIR (scripts/onnx writes it). */
export const ONNX_MODEL_FILE = 'resnet50.onnx';

type Ort = typeof import('onnxruntime-node');

async function importOrt(): Promise<Ort> {
  // ONNX Runtime's posix build uploads usage telemetry over HTTPS unless this is set (read by
  // the native library when it starts): the function sends nothing anywhere but its answers.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  // A variable specifier: the armhf image carries no onnxruntime-node at all.
  const name = 'onnxruntime-node';
  return (await import(name)) as Ort;
}

/** ResNet50 from an ONNX file with inputs NHWC and outputs `fc1000` and `avg_pool`. */
export async function loadOnnxBase(file: string, labels: string[], threads: number, ort?: Ort): Promise<Base> {
  ort ??= await importOrt();
  // One intra-op thread and one worker per core held up best when the machine is shared:
  // more threads only pay on idle cores and collapse under load, worse with spinning on.
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const [inputName] = session.inputNames;
  const expected = INPUT_SIZE * INPUT_SIZE * 3;
  return {
    labels,
    async infer(input) {
      if (input.length !== expected) throw new Error(`resnet50 input has ${input.length} values, expected ${expected} (${INPUT_SIZE}x${INPUT_SIZE}x3)`);
      const out = await session.run({ [inputName!]: new ort.Tensor('float32', input, [1, INPUT_SIZE, INPUT_SIZE, 3]) });
      return { probabilities: out.fc1000!.data as Float32Array, features: out.avg_pool!.data as Float32Array };
    },
  };
}

/**
 * Why ONNX Runtime must not be loaded on this linux/arm64 host, if it must not. Its CPU detection
 * (cpuinfo) dereferences NULL while libonnxruntime loads when /proc/cpuinfo lists no ARM cores:
 * that is what qemu-user shows an emulated arm64 program on an x86 host (the host's own file), and
 * the crashed process then hangs instead of exiting. Every arm64 kernel writes "CPU implementer".
 */
export function onnxCpuinfoProblem(cpuinfo: () => string = () => readFileSync('/proc/cpuinfo', 'utf8'), arch: string = process.arch): string | undefined {
  if (arch !== 'arm64') return undefined;
  let text = '';
  try {
    text = cpuinfo();
  } catch {
    // unreadable: the check below names it
  }
  if (/^CPU implementer\s*:/m.test(text)) return undefined;
  return '/proc/cpuinfo lists no ARM cores (no "CPU implementer" line, as under qemu-user on an x86 host), and ONNX Runtime\'s CPU detection crashes on that';
}

export async function startOnnxRuntime(threads: number): Promise<Engine> {
  const problem = onnxCpuinfoProblem();
  if (problem) throw new Error(problem);
  const ort = await importOrt();
  return {
    name: 'onnxruntime',
    simd: false,
    threads,
    async loadBase(dir) {
      const file = join(dir, ONNX_MODEL_FILE);
      if (!existsSync(file)) throw new Error(`no ONNX model ${file}; run \`npm run fetch-model\` (it converts the Keras weights), or set BACKEND=wasm`);
      return loadOnnxBase(file, await loadLabels(dir), threads, ort);
    },
    loadHead: (dir) => loadDenseHead(dir, FEATURE_SIZE),
  };
}
