import { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { clusterArchs, platformsFor } from '../images/cluster.ts';
import { accessForImage, clusterRegistryAccess } from '../images/registry-access.ts';
import { parseImageRef } from '../registry/reference.ts';
import { parsePlatform, platformString, type ImagePlatform } from '../images/platforms.ts';
import { buildAndPush, buildForPlatforms, formatBuild, formatPush } from '../images/run.ts';
import { writePublished } from '../images/state.ts';
import { loadCluster } from '../inventory/load.ts';
import { probePool } from './cluster-pool.ts';
import { contextOf, type CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { collect } from './repeatable-flag.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface ImagesFlags {
  platform: string[];
  base?: string;
  registry?: string;
  cache: boolean;
}

/** --platform wins; else one image per distinct userland arch the doctor finds on the nodes. */
async function choosePlatforms(o: ImagesFlags, ctx: CliContext): Promise<ImagePlatform[]> {
  if (o.platform.length) {
    try {
      return [...new Set(o.platform.map(parsePlatform))];
    } catch (e) {
      throw new UsageError(`--platform: ${(e as Error).message}`);
    }
  }
  const spec = await loadCluster(ctx.opts.config);
  const pool = probePool(spec, ctx);
  try {
    const nodes = await clusterArchs(spec, pool);
    ctx.info(`nodes: ${nodes.map((n) => `${n.node} ${n.arch}`).join(', ')}`);
    return platformsFor(nodes);
  } finally {
    await pool.closeAll();
  }
}

function withFlags(cmd: Command): Command {
  return cmd
    .option('--platform <p>', 'build for this platform instead of asking the nodes (linux/amd64, linux/arm/v7, linux/arm64; repeatable)', collect, [])
    .option('--base <image>', 'base image with Node (default node:20-bookworm-slim; "debian" builds one from Debian packages)')
    .option('--no-cache', 'rebuild every layer');
}

export function makeImagesCommand(): Command {
  const images = new Command('images')
    .description('the function image for every platform the cluster has, under one manifest list')
    .addHelpText(
      'after',
      '\nExamples:\n  $ edgefaas images build\n  $ edgefaas images push\n  $ edgefaas images push --platform linux/amd64,linux/arm/v7,linux/arm64 --base debian --registry 127.0.0.1:5000',
    );
  withFlags(images.command('build').description('build the image for each platform (docker, one platform at a time, no QEMU needed)')).action(
    async (o: ImagesFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const platforms = await choosePlatforms(o, ctx);
      const built = await buildForPlatforms({ repoRoot: REPO_ROOT, platforms, base: o.base, noCache: !o.cache, env: ctx.env, log: ctx.info });
      ctx.result(
        { tag: built.tag, images: built.images.map((i) => ({ platform: platformString(i.platform), ref: i.ref, id: i.id, size: i.size, buildMs: i.buildMs })) },
        `${formatBuild(built)}\nnext: edgefaas images push`,
      );
    },
  );
  withFlags(images.command('push').description('build (cached), push what the registry lacks, join the platforms under one manifest list'))
    .option('--registry <host:port>', "the registry to push to (default: cluster.yaml's)")
    .action(async (o: ImagesFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await loadCluster(ctx.opts.config);
      const registry = o.registry ? await accessForImage(parseImageRef(`${o.registry}/edgefaas/function`), spec, ctx.env) : await clusterRegistryAccess(spec, ctx.env);
      if (!registry) throw new UsageError(`${ctx.opts.config} has registry mode none: give --registry HOST:PORT`);
      const platforms = await choosePlatforms(o, ctx);
      const { list } = await buildAndPush({ repoRoot: REPO_ROOT, platforms, base: o.base, noCache: !o.cache, registry, env: ctx.env, log: ctx.info });
      await writePublished(
        spec.name,
        {
          reference: list.reference,
          digest: list.digest,
          platforms: list.images.map((i) => ({ platform: i.platform, digest: i.digest, size: i.size })),
          pushedAt: new Date().toISOString(),
        },
        ctx.env,
      );
      ctx.result(list, `${formatPush(list)}\nnext: edgefaas deploy`);
    });
  return images;
}
