import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';

export const run = promisify(execFile);
export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const PHOTOS = process.env.EDGEFAAS_PHOTOS || join(homedir(), '.cache', 'edgefaas', 'photos');

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/**
 * `docker run` options that make an emulated linux/arm64 container look like a Raspberry Pi 4 to
 * the code in it. qemu-user (7.2, Debian bookworm) hands an arm64 guest this x86 machine's own
 * /proc/cpuinfo, which no arm64 kernel writes: ONNX Runtime's CPU detection (cpuinfo) then
 * dereferences NULL while loading libonnxruntime, and QEMU hangs after the crash. A Pi's kernel
 * lists its Cortex-A72 cores (implementer 0x41, part 0xd08), so the test shows the image that
 * file, one entry per core of this machine, and has QEMU emulate that core (ARMv8.0: no LSE
 * atomics, SVE or SME) rather than its default "max" CPU.
 */
export async function asRaspberryPi4(dir: string): Promise<string[]> {
  const core = (i: number) =>
    `processor\t: ${i}\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\n` +
    `CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n`;
  const cores = Array.from({ length: availableParallelism() }, (_, i) => core(i)).join('');
  const file = join(dir, 'pi4-cpuinfo');
  await writeFile(file, `${cores}Hardware\t: BCM2835\nRevision\t: c03111\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n`);
  return ['-e', 'QEMU_CPU=cortex-a72', '-v', `${file}:/proc/cpuinfo:ro`];
}

/** Starts an image as a user would (docker run -p), waits for /_/health, returns its URL. */
export async function runFunction(
  image: string,
  name: string,
  o: { platform: string; readyMs: number; env?: Record<string, string>; dockerArgs?: string[] },
): Promise<string> {
  await docker('rm', '-f', name).catch(() => '');
  const env = Object.entries({ WORKERS: '1', ...(o.env ?? {}) }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await docker('run', '-d', '--name', name, '--platform', o.platform, ...env, ...(o.dockerArgs ?? []), '-p', '127.0.0.1::8080', image);
  const port = (await docker('port', name, '8080')).split('\n')[0]!.split(':').pop();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + o.readyMs;
  for (;;) {
    const ok = await fetch(`${url}/_/health`).then((r) => r.ok, () => false);
    if (ok) return url;
    if (Date.now() > deadline) throw new Error(`${name} (${o.platform}) not healthy after ${o.readyMs} ms: ${await docker('logs', '--tail', '20', name).catch(() => '')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** POSTs the photo as curl --data-binary does; under QEMU one answer may take minutes. */
export async function topLabel(url: string, photo: Buffer): Promise<string> {
  const res = await request(url, { method: 'POST', body: photo, headersTimeout: 1_500_000, bodyTimeout: 1_500_000 });
  const body = (await res.body.json()) as { predictions?: Array<{ label: string }>; error?: string };
  if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${JSON.stringify(body)}`);
  return body.predictions![0]!.label;
}

/** The inference engine a running function says it uses (GET /_/info). */
export async function backendOf(url: string): Promise<string> {
  return ((await (await fetch(`${url}/_/info`)).json()) as { backend: string }).backend;
}
