import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImagePlatform } from './platforms.ts';

const run = promisify(execFile);

/** What function/ imports at run time; everything else in package.json is the kit's. */
export const RUNTIME_DEPS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'busboy', 'prom-client', 'sharp'] as const;
/** Added where the platform has ONNX Runtime (platforms.ts): its package ships every OS's binaries, pruned to one. */
export const ONNX_RUNTIME_DEP = 'onnxruntime-node';

/** Files no running function reads: they only make the layer bigger. */
const PRUNE = /(\.map|\.d\.ts|\.d\.mts|\.md|\.markdown|\.ts)$/i;
const PRUNE_VERSION = 2;

export class StageError extends Error {
  override name = 'StageError';
}

/** The versions package-lock.json pins for the runtime deps, so images match what tests ran. */
export async function runtimeDependencies(repoRoot: string, deps: readonly string[] = RUNTIME_DEPS): Promise<Record<string, string>> {
  const lock = JSON.parse(await fs.readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const out: Record<string, string> = {};
  for (const d of deps) {
    const v = lock.packages[`node_modules/${d}`]?.version;
    if (!v) throw new StageError(`${d} is not in package-lock.json; run: npm install`);
    out[d] = v;
  }
  return out;
}

/**
 * node_modules for one target platform, installed on this machine with npm's --os/--cpu/--libc
 * (sharp's prebuilt @img/sharp-linux-<cpu> and its libvips), so no target code runs.
 * Cached by versions and platform; returns the directory that holds node_modules/.
 */
export async function stageNodeModules(o: {
  platform: ImagePlatform;
  repoRoot: string;
  cacheDir: string;
  log?: (line: string) => void;
}): Promise<string> {
  const deps = await runtimeDependencies(o.repoRoot, [...RUNTIME_DEPS, ...(o.platform.onnxRuntime ? [ONNX_RUNTIME_DEP] : [])]);
  const key = createHash('sha256')
    .update(JSON.stringify({ deps, cpu: o.platform.npmCpu, prune: PRUNE_VERSION }))
    .digest('hex')
    .slice(0, 12);
  const dir = join(o.cacheDir, 'node_modules', `${o.platform.debianArch}-${key}`);
  if (await exists(join(dir, '.complete'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  await fs.writeFile(join(tmp, 'package.json'), JSON.stringify({ name: 'edgefaas-function', private: true, dependencies: deps }, null, 2));
  o.log?.(`npm install for linux/${o.platform.npmCpu}: ${Object.keys(deps).join(', ')}`);
  const args = ['install', '--omit=dev', '--os=linux', `--cpu=${o.platform.npmCpu}`, '--libc=glibc', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'];
  try {
    await run('npm', args, { cwd: tmp, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new StageError(`npm ${args.join(' ')} failed in ${tmp}: ${(err.stderr ?? err.message).trim().split('\n').slice(-5).join('\n')}`, { cause: e });
  }
  const sharpBinary = join(tmp, 'node_modules', '@img', `sharp-linux-${o.platform.npmCpu}`);
  if (!(await exists(sharpBinary))) {
    throw new StageError(`npm did not install sharp's prebuilt binary for linux/${o.platform.npmCpu} (${sharpBinary} missing)`);
  }
  if (o.platform.onnxRuntime) await keepOneOnnxBinary(join(tmp, 'node_modules', ONNX_RUNTIME_DEP), o.platform.npmCpu);
  await prune(join(tmp, 'node_modules'));
  await fs.rm(join(tmp, 'node_modules', '.bin'), { recursive: true, force: true });
  await fs.rm(join(tmp, 'node_modules', '.package-lock.json'), { force: true });
  await fs.writeFile(join(tmp, '.complete'), '');
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
  return dir;
}

/**
 * onnxruntime-node holds linux, darwin and win32 binaries for x64 and arm64 (~110 MB): keep
 * linux/<cpu> only. Its install script (CUDA downloads) never runs here (--ignore-scripts).
 */
async function keepOneOnnxBinary(pkg: string, cpu: string): Promise<void> {
  const bin = join(pkg, 'bin', 'napi-v6');
  const keep = join(bin, 'linux', cpu);
  if (!(await exists(join(keep, 'onnxruntime_binding.node')))) {
    throw new StageError(`npm did not install onnxruntime-node's binary for linux/${cpu} (${keep}/onnxruntime_binding.node missing)`);
  }
  for (const os of await fs.readdir(bin)) {
    for (const arch of await fs.readdir(join(bin, os))) {
      if (join(bin, os, arch) !== keep) await fs.rm(join(bin, os, arch), { recursive: true, force: true });
    }
    if (os !== 'linux') await fs.rm(join(bin, os), { recursive: true, force: true });
  }
}

async function prune(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await prune(p);
    else if (e.isFile() && PRUNE.test(e.name)) await fs.rm(p);
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
