import { describe, expect, it } from 'vitest';
import { ConfigError, cpuQuotaCores, defaultDecodeMemory, defaultWorkers, loadConfig, nativeBackendInstalled, parseDuration, WORKER_MEMORY_BYTES } from './config.ts';

const GB = 1024 ** 3;

describe('of-watchdog durations', () => {
  it('reads a bare integer as seconds and Go durations as written', () => {
    expect(parseDuration('exec_timeout', '30')).toBe(30_000);
    expect(parseDuration('exec_timeout', '60s')).toBe(60_000);
    expect(parseDuration('exec_timeout', '1m30s')).toBe(90_000);
    expect(parseDuration('exec_timeout', '500ms')).toBe(500);
  });

  it('refuses what is not a duration, naming the variable', () => {
    expect(() => parseDuration('read_timeout', '10 seconds')).toThrow('read_timeout=10 seconds is not a duration; use seconds (30) or a Go duration (30s, 1m30s, 500ms)');
    expect(() => parseDuration('read_timeout', '5x')).toThrow(ConfigError);
  });
});

describe('workers', () => {
  it('is one per core where memory allows', () => {
    expect(defaultWorkers(4, 8 * GB)).toBe(4);
    expect(defaultWorkers(2, 24 * GB)).toBe(2);
  });

  it('is capped by memory: a 1 GB Raspberry Pi gets one, a 2 GB one gets two', () => {
    expect(defaultWorkers(4, 1 * GB)).toBe(1);
    expect(defaultWorkers(4, 2 * GB)).toBe(Math.floor((2 * GB - 150 * 1024 * 1024) / WORKER_MEMORY_BYTES));
    expect(defaultWorkers(4, 256 * 1024 * 1024)).toBe(1);
  });

  it("counts the cores a cgroup CPU quota allows (docker run --cpus 0.5: one), not the machine's", () => {
    const files = (f: Record<string, string>) => (name: string) => {
      if (!(name in f)) throw new Error('ENOENT');
      return f[name]!;
    };
    expect(cpuQuotaCores(files({ '/sys/fs/cgroup/cpu.max': '50000 100000\n' }))).toBe(1);
    expect(cpuQuotaCores(files({ '/sys/fs/cgroup/cpu.max': '150000 100000' }))).toBe(2);
    expect(cpuQuotaCores(files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }))).toBe(Infinity);
    expect(cpuQuotaCores(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBe(1);
    expect(cpuQuotaCores(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBe(Infinity);
    expect(cpuQuotaCores(files({}))).toBe(Infinity);
  });

  it('is one with the native TensorFlow backend, which uses every core itself', () => {
    expect(defaultWorkers(4, 8 * GB, true)).toBe(1);
  });
});

describe('loadConfig', () => {
  const modelDir = `${process.env.HOME}/.cache/edgefaas/models/resnet50`;

  it('uses the watchdog names and defaults', () => {
    const c = loadConfig({ MODEL_DIR: modelDir, WORKERS: '3', exec_timeout: '45s', max_inflight: '7' });
    expect(c).toMatchObject({ port: 8080, model: 'resnet50', workers: 3, maxInflight: 7, execTimeoutMs: 45_000, readTimeoutMs: 30_000, maxBodyBytes: 10 * 1024 * 1024 });
  });

  it('defaults workers by whether tfjs-node is installed', () => {
    expect(loadConfig({ MODEL_DIR: modelDir }).workers).toBe(defaultWorkers(undefined, undefined, nativeBackendInstalled()));
    expect(loadConfig({ MODEL_DIR: modelDir, TFJS_BACKEND: 'wasm' }).workers).toBe(defaultWorkers());
  });

  it('reads 0 as of-watchdog does: no limit for exec_timeout, write_timeout, read_timeout and max_inflight', () => {
    const c = loadConfig({ MODEL_DIR: modelDir, exec_timeout: '0', write_timeout: '0s', read_timeout: '0', max_inflight: '0' });
    expect(c).toMatchObject({ execTimeoutMs: Infinity, writeTimeoutMs: Infinity, readTimeoutMs: Infinity, maxInflight: Infinity });
  });

  it('has no max_inflight cap unless one is set (the queue is bounded by exec_timeout instead)', () => {
    expect(loadConfig({ MODEL_DIR: modelDir, WORKERS: '2' }).maxInflight).toBe(Infinity);
    expect(() => loadConfig({ MODEL_DIR: modelDir, max_inflight: '-1' })).toThrow('max_inflight=-1 must be an integer of at least 0');
  });

  it('budgets decoding with what memory leaves beside the workers', () => {
    expect(defaultDecodeMemory(1, 4 * GB)).toBe(4 * GB - 150 * 1024 * 1024 - WORKER_MEMORY_BYTES);
    expect(defaultDecodeMemory(1, 1 * GB)).toBe(1 * GB - 150 * 1024 * 1024 - WORKER_MEMORY_BYTES);
    expect(defaultDecodeMemory(2, 1 * GB)).toBe(64 * 1024 * 1024);
    expect(loadConfig({ MODEL_DIR: modelDir, WORKERS: '1', DECODE_MEMORY_BYTES: '1000000' }).decodeMemoryBytes).toBe(1_000_000);
  });

  it('says how to get the model when MODEL_DIR has none', () => {
    expect(() => loadConfig({ MODEL_DIR: '/nonexistent' })).toThrow('no ResNet50 model in /nonexistent: run `npm run fetch-model` (or set MODEL_DIR to where it is)');
  });

  it('refuses an unknown model and bad numbers', () => {
    expect(() => loadConfig({ MODEL_DIR: modelDir, MODEL: 'vgg16' })).toThrow('MODEL=vgg16 is not served here; choose one of resnet50, catdog');
    expect(() => loadConfig({ MODEL_DIR: modelDir, WORKERS: '0' })).toThrow('WORKERS=0 must be an integer of at least 1');
    expect(() => loadConfig({ MODEL_DIR: modelDir, PORT: 'http' })).toThrow('PORT=http must be an integer of at least 0');
  });
});
