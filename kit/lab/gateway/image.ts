import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { docker } from '../docker-cli.ts';
import { debianBase } from '../registry/image.ts';

const dir = fileURLToPath(new URL('./', import.meta.url));

/** Bundles the stand-in (main.ts and prom-client) into one CommonJS file for Node 18. */
export async function bundleStandin(): Promise<string> {
  const out = await build({
    entryPoints: [join(dir, 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/**
 * Builds (or reuses) the stand-in gateway image, tagged for the manager's loopback registry.
 * The lab's cluster.yaml uses it for both the gateway and the faas-swarm services.
 */
export async function ensureStandinImage(log: (line: string) => void = () => {}): Promise<string> {
  const base = await debianBase('node', ['nodejs']);
  const bundle = await bundleStandin();
  const dockerfile = await fs.readFile(join(dir, 'Dockerfile'));
  const tag = `127.0.0.1:5000/edgefaas/standin-gateway:${createHash('sha256').update(base).update(bundle).update(dockerfile).digest('hex').slice(0, 12)}`;
  if ((await docker(['image', 'inspect', tag], { allowFail: true })).code === 0) return tag;
  log(`building stand-in gateway image ${tag}`);
  const ctx = await fs.mkdtemp(join(tmpdir(), 'edgefaas-standin-'));
  try {
    await fs.writeFile(join(ctx, 'standin.cjs'), bundle);
    await fs.writeFile(join(ctx, 'Dockerfile'), dockerfile);
    await docker(['build', '-q', '--build-arg', `BASE=${base}`, '-t', tag, ctx], { timeoutMs: 600_000 });
  } finally {
    await fs.rm(ctx, { recursive: true, force: true });
  }
  return tag;
}
