/**
 * Several 40 MP photos at once: peak memory of the function's server process (where photos are
 * decoded) with the decode memory budget (budget.ts) and with it lifted, side by side in one
 * run. The last line of output is one JSON object:
 *   budgeted_peak_mb     peak RSS (VmHWM) of the server process, DECODE_MEMORY_BYTES = one photo's cost
 *   unbounded_peak_mb    the same with the budget lifted (every photo decodes at once)
 *   peak_ratio           budgeted / unbounded (goal < 1: the budget holds memory down)
 *   budgeted_s, unbounded_s  wall time for the batch each way
 *   all_200              every answer was 200 on both sides
 * Env: BENCH_PHOTOS (photos sent at once, default 6).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeCostBytes } from '../function/src/budget.ts';
import { photo, startFunctionProcess, waitReady, type FunctionProcess } from '../test/function/support.ts';

const AT_ONCE = Number(process.env.BENCH_PHOTOS ?? 6);
const log = (line: string) => console.error(`bench: ${line}`);
const servers: FunctionProcess[] = [];

async function startServer(decodeMemoryBytes: number): Promise<FunctionProcess> {
  const fn = await startFunctionProcess({ exec_timeout: '0', write_timeout: '0', DECODE_MEMORY_BYTES: String(decodeMemoryBytes) }, ['function/dist/main.js']);
  servers.push(fn);
  await waitReady(fn.url, 300_000);
  return fn;
}

function peakRssMb(pid: number): number {
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024);
}

async function batch(decodeMemoryBytes: number, big: Buffer): Promise<{ peakMb: number; seconds: number; all200: boolean }> {
  const server = await startServer(decodeMemoryBytes);
  try {
    const before = peakRssMb(server.child.pid!);
    const t = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        const res = await fetch(`${server.url}/`, { method: 'POST', body: new Uint8Array(big) });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    const seconds = (performance.now() - t) / 1000;
    const peakMb = peakRssMb(server.child.pid!);
    log(`DECODE_MEMORY_BYTES=${decodeMemoryBytes}: idle peak ${before} MB, after ${AT_ONCE} at once ${peakMb} MB, ${seconds.toFixed(1)} s, statuses ${statuses.join(',')}`);
    return { peakMb, seconds, all200: statuses.every((s) => s === 200) };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build:function'], { cwd: join(import.meta.dirname, '..'), stdio: 'inherit' });
  // A real photo blown up to 39.9 MP (8000 x 4992): what a phone or DSLR sends.
  const big = await sharp(readFileSync(photo('dog.jpg'))).resize(8000, 4992, { fit: 'fill' }).jpeg({ quality: 80 }).toBuffer();
  const cost = await decodeCostBytes(big);
  log(`photo ${(big.length / 1e6).toFixed(1)} MB, decode cost ${(cost / 1048576).toFixed(0)} MB each, ${AT_ONCE} at once`);
  const budgeted = await batch(cost, big);
  const unbounded = await batch(Number.MAX_SAFE_INTEGER, big);
  console.log(
    JSON.stringify({
      budgeted_peak_mb: budgeted.peakMb,
      unbounded_peak_mb: unbounded.peakMb,
      peak_ratio: Math.round((budgeted.peakMb / unbounded.peakMb) * 1000) / 1000,
      budgeted_s: Math.round(budgeted.seconds * 10) / 10,
      unbounded_s: Math.round(unbounded.seconds * 10) / 10,
      all_200: budgeted.all200 && unbounded.all200,
    }),
  );
}

main()
  .catch((err: Error) => {
    console.error(`bench: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => Promise.all(servers.map((fn) => fn.stop())));
