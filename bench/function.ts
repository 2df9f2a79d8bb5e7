/**
 * The classifier's speed and memory, measured side by side in one run (the machine's load
 * moves both sides of each ratio alike). The last line of output is one JSON object:
 *   http_over_bare_c1  mean HTTP latency at concurrency 1 / mean preprocess+predict called directly (goal <= 1.05)
 *   img_per_s          images per second at concurrency 4, default workers (median of rounds)
 *   cores_speedup      that / the same with one worker, the median of rounds run pairwise (goal >= 1.8 on 2 cores)
 *   cold_over_warm     first answer after process start / a warm answer (goal <= 4)
 *   rss_mb             peak resident memory (VmHWM) of the largest worker process (goal <= 400)
 *   backend            engine the workers chose (onnxruntime where it loads, else a tfjs backend)
 *   engine_speedup     img_per_s / the same workers forced onto tfjs-wasm, rounds run in turn (goal >= 4)
 *   ms_per_img_one_thread  median predict time of one image on one thread, per engine, in this process
 *   img_per_s_one_worker_all_threads  one worker with ENGINE_THREADS = cores (the other way to use the cores)
 *   rss_mb_wasm        the same as rss_mb for the tfjs-wasm workers
 *   others_cpu_share_c4  share of the machine's CPU other programs used during the c4 rounds
 *   cpu_ms_per_img_*     CPU time per image (server + workers) with 1 and N workers (USER_HZ 100)
 * Env: BENCH_N (requests per concurrency-1 measurement, default 30), BENCH_C4_N (requests per
 * concurrency-4 round, default 48), PHOTO (default darknet's dog.jpg).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { defaultWorkers, loadConfig } from '../function/src/config.ts';
import { loadClassifier, warm } from '../function/src/classifier.ts';
import { startEngine } from '../function/src/engine/select.ts';
import { preprocess } from '../function/src/preprocess.ts';
import { machineCpu, type MachineCpu } from './cpu-use.ts';
import { photo as testPhoto, startFunctionProcess, waitReady, type FunctionProcess } from '../test/function/support.ts';

const N = Number(process.env.BENCH_N ?? 30);
// Concurrency-4 rounds are longer so the tail (one worker idle while the last image finishes) and VM jitter weigh little.
const N_C4 = Number(process.env.BENCH_C4_N ?? 48);
const ROUNDS = 3;
const photoPath = process.env.PHOTO ?? testPhoto('dog.jpg');
const photo = readFileSync(photoPath);
const log = (line: string) => console.error(`bench: ${line}`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;

interface Server {
  url: string;
  child: ChildProcess;
  startedAt: number;
  readyAt: number;
}

/** Servers still running: ended in main's `finally`, so a failed run leaves no orphans behind. */
const servers: FunctionProcess[] = [];

async function startServer(workers: number, env: Record<string, string> = {}): Promise<Server> {
  const startedAt = performance.now();
  // The compiled function, as the images run it (tsx's loader would add its own memory to each worker).
  const fn = await startFunctionProcess({ WORKERS: String(workers), max_inflight: '64', ...env }, ['function/dist/main.js']);
  servers.push(fn);
  await waitReady(fn.url, 300_000);
  return { url: fn.url, child: fn.child, startedAt, readyAt: performance.now() };
}

async function timedPost(url: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/`, { method: 'POST', body: photo });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`bench: ${url} answered ${res.status}`);
  return performance.now() - t;
}

/** Images per second with `concurrency` clients each sending back to back, `total` requests in all. */
async function throughput(url: string, concurrency: number, total: number): Promise<number> {
  let left = total;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await timedPost(url);
    }),
  );
  return (total * 1000) / (performance.now() - t);
}

/** Median milliseconds of one predict on each engine, called in turn so both see the same machine. */
async function oneThreadMs(modelDir: string, input: Float32Array): Promise<Record<string, number>> {
  const bases = await Promise.all(
    (['onnxruntime', 'wasm'] as const).map(async (name) => {
      const { engine } = await startEngine({ prefer: name, modelDir, threads: 1 }).catch(() => ({ engine: undefined }));
      return engine && { name, base: await engine.loadBase(modelDir) };
    }),
  );
  const ms: Record<string, number[]> = {};
  for (let i = 0; i < N / 2 + 1; i++) {
    for (const b of bases) {
      if (!b) continue;
      const t = performance.now();
      await b.base.infer(input);
      // The first call of each pays for kernel set-up; it is left out.
      if (i > 0) (ms[b.name] ??= []).push(performance.now() - t);
    }
  }
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, r3(median(v))]));
}

/** CPU jiffies used so far by a server and its workers. */
function serverCpu(server: Server): number {
  const pid = server.child.pid!;
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return [String(pid), ...kids].reduce((sum, p) => {
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return sum + Number(fields[11]) + Number(fields[12]);
  }, 0);
}

/** Peak resident memory (VmHWM) of each worker process of a server. */
function workerPeakRssMb(server: Server): number[] {
  const pid = server.child.pid!;
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return kids.map((k) => Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${k}/status`, 'utf8'))?.[1]) / 1024));
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const many = Math.max(2, defaultWorkers());
  execFileSync('npm', ['run', '--silent', 'build:function'], { cwd: join(import.meta.dirname, '..'), stdio: 'inherit' });
  log(`${cores} cores, load average ${loadavg()[0]!.toFixed(1)} at start; N=${N}; photo ${photoPath}`);

  // The bare model, in this process, as the function's workers hold it.
  const config = loadConfig({ ...process.env, PORT: '0' });
  const { engine } = await startEngine({ prefer: config.backend, modelDir: config.modelDir });
  const backend = engine.name;
  const bare = await loadClassifier(engine, 'resnet50', config.modelDir, config.headDir);
  await warm(bare);

  // Cold: the first answer of a fresh one-worker server, the moment it says it is ready.
  const one = await startServer(1);
  const coldMs = await timedPost(one.url);
  log(`one worker: ready ${((one.readyAt - one.startedAt) / 1000).toFixed(1)} s after start, first answer ${coldMs.toFixed(0)} ms`);
  const several = await startServer(many);
  // The same cores used the other two ways: tfjs-wasm workers (today's engine), and one worker with every core as threads.
  const wasm = backend === 'wasm' ? undefined : await startServer(many, { BACKEND: 'wasm' });
  const threaded = backend === 'onnxruntime' ? await startServer(1, { ENGINE_THREADS: String(cores) }) : undefined;

  // Concurrency 1: bare and HTTP alternate, so both see the same machine.
  const bareMs: number[] = [];
  const httpMs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await bare.classify(await preprocess(photo));
    bareMs.push(performance.now() - t);
    httpMs.push(await timedPost(one.url));
  }
  log(`c1: bare ${mean(bareMs).toFixed(0)} ms, http ${mean(httpMs).toFixed(0)} ms`);
  const perEngineMs = await oneThreadMs(config.modelDir, await preprocess(photo));
  log(`one image on one thread: ${Object.entries(perEngineMs).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);

  // Concurrency 4: one worker, `many` workers, and the comparisons, in turn within each round.
  const oneRate: number[] = [];
  const manyRate: number[] = [];
  const wasmRate: number[] = [];
  const threadedRate: number[] = [];
  // How much of the machine others used meanwhile: with the cores busy elsewhere, more workers cannot help.
  const cpu0 = machineCpu();
  const oneCpu0 = serverCpu(one);
  const manyCpu0 = serverCpu(several);
  const ours0 = [one, several, wasm, threaded].reduce((n, s) => n + (s ? serverCpu(s) : 0), 0);
  for (let round = 0; round < ROUNDS; round++) {
    oneRate.push(await throughput(one.url, 4, N_C4));
    manyRate.push(await throughput(several.url, 4, N_C4));
    if (wasm) wasmRate.push(await throughput(wasm.url, 4, N_C4));
    if (threaded) threadedRate.push(await throughput(threaded.url, 4, N_C4));
  }
  // Each round's runs went back to back on the same machine; the median ratio resists one noisy round.
  const speedups = manyRate.map((r, i) => r / oneRate[i]!);
  const engineSpeedups = wasm ? manyRate.map((r, i) => r / wasmRate[i]!) : [1];
  const cpu1 = machineCpu();
  const oneCpu1 = serverCpu(one);
  const manyCpu1 = serverCpu(several);
  const ours1 = [one, several, wasm, threaded].reduce((n, s) => n + (s ? serverCpu(s) : 0), 0);
  // CPU per image (server + workers): equal for 1 and N workers means N workers scale with free cores.
  const jiffyMs = 1000 / 100;
  const cpuPerImgOne = ((oneCpu1 - oneCpu0) * jiffyMs) / (ROUNDS * N_C4);
  const cpuPerImgMany = ((manyCpu1 - manyCpu0) * jiffyMs) / (ROUNDS * N_C4);
  const busy = (c: MachineCpu) => c.total - c.idle;
  const othersShare = Math.max(0, (busy(cpu1) - busy(cpu0) - (ours1 - ours0)) / (cpu1.total - cpu0.total));
  log(`c4: others used ${(othersShare * 100).toFixed(0)}% of the machine's CPU meanwhile`);
  log(`c4: 1 worker ${mean(oneRate).toFixed(2)} img/s, ${many} workers ${mean(manyRate).toFixed(2)} img/s${wasm ? `, ${many} tfjs-wasm workers ${mean(wasmRate).toFixed(2)} img/s` : ''}${threaded ? `, 1 worker x ${cores} threads ${mean(threadedRate).toFixed(2)} img/s` : ''}`);

  const rss = [...workerPeakRssMb(one), ...workerPeakRssMb(several)];
  const rssWasm = wasm ? workerPeakRssMb(wasm) : rss;
  log(`worker peak RSS: ${rss.join(', ')} MB${wasm ? `; tfjs-wasm ${rssWasm.join(', ')} MB` : ''}`);

  const result = {
    http_over_bare_c1: r3(mean(httpMs) / mean(bareMs)),
    img_per_s: r3(median(manyRate)),
    img_per_s_one_worker: r3(median(oneRate)),
    cores_speedup: r3(median(speedups)),
    cores_speedup_rounds: speedups.map(r3),
    cold_over_warm: r3(coldMs / mean(httpMs)),
    rss_mb: Math.max(...rss),
    backend,
    engine_speedup: r3(median(engineSpeedups)),
    engine_speedup_rounds: engineSpeedups.map(r3),
    ms_per_img_one_thread: perEngineMs,
    img_per_s_wasm: wasm ? r3(median(wasmRate)) : r3(median(manyRate)),
    img_per_s_one_worker_all_threads: threaded ? r3(median(threadedRate)) : null,
    rss_mb_wasm: Math.max(...rssWasm),
    workers: many,
    cores,
    warm_ms: r3(mean(httpMs)),
    bare_ms: r3(mean(bareMs)),
    cold_ms: r3(coldMs),
    start_to_ready_s: r3((one.readyAt - one.startedAt) / 1000),
    load_avg_1m: r3(loadavg()[0]!),
    others_cpu_share_c4: r3(othersShare),
    cpu_ms_per_img_one_worker: r3(cpuPerImgOne),
    cpu_ms_per_img_workers: r3(cpuPerImgMany),
  };
  console.log(JSON.stringify(result));
}

async function stopServers(): Promise<void> {
  await Promise.all(servers.map((fn) => fn.stop()));
}

await main()
  .catch((err: Error) => {
    console.error(`bench: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(stopServers);
