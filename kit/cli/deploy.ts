import { Command } from 'commander';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { nodeArchs } from '../images/cluster.ts';
import { pinForNodes, type PinnedImage } from '../images/pin.ts';
import { readPublished } from '../images/state.ts';
import { loadCluster } from '../inventory/load.ts';
import type { ClusterSpec } from '../inventory/schema.ts';
import { doctor, type NodeReport } from '../nodes/index.ts';
import { deployStack, type SmokeTest } from '../openfaas/deploy.ts';
import { checkFunctionLimits } from '../openfaas/ce-limits.ts';
import { orchestratorFor } from '../orchestrator/index.ts';
import { photosDir, SMOKE, stackForCluster } from '../openfaas/functions.ts';
import { nodeRooms } from '../openfaas/placement.ts';
import { readStack, writeStack, type Stack } from '../openfaas/stack.ts';
import { gatewayFor, resolveGatewayUrl } from '../openfaas/target.ts';
import { pinnedRef } from '../registry/reference.ts';
import { nodeCapacities } from '../openfaas/sizing.ts';
import { probePool } from './cluster-pool.ts';
import { contextOf, type CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { collect } from './repeatable-flag.ts';

interface DeployFlags {
  file?: string;
  image?: string;
  gateway?: string;
  function: string[];
  smoke: boolean;
  smokePhoto?: string;
  timeout: string;
}

/** -f: the user's stack.yml as is. Otherwise stack.yml is (re)written beside cluster.yaml from it and the last pushed image. */
async function stackToDeploy(o: DeployFlags, spec: ClusterSpec, ctx: CliContext, probe: () => Promise<NodeReport[]>): Promise<{ stack: Stack; path: string; written: boolean }> {
  if (o.file) return { stack: await readStack(o.file, ctx.env), path: o.file, written: false };
  const published = await readPublished(spec.name, ctx.env);
  const image = o.image ?? (published ? pinnedRef(published.reference, published.digest) : undefined);
  if (!image) throw new UsageError('no image to deploy yet: run edgefaas images push (or give --image REF)');
  // Replicas one per node with room for one, sized for each node's RAM and cores.
  const reports = await probe();
  const rooms = nodeRooms(reports);
  const stack = stackForCluster(spec, { image, gateway: await resolveGatewayUrl({ flag: o.gateway, env: ctx.env, spec }), rooms, nodes: nodeCapacities(spec, reports) });
  const path = join(dirname(ctx.opts.config), 'stack.yml');
  await writeStack(path, stack, `written by edgefaas deploy from ${ctx.opts.config}; faas-cli deploy -f ${path} deploys the same`);
  return { stack, path, written: true };
}

/** The nodes' facts (read-only), probed on first use and then shared by placement, sizing and the image check. */
function probeOnce(spec: ClusterSpec, ctx: CliContext): () => Promise<NodeReport[]> {
  let reports: Promise<NodeReport[]> | undefined;
  return () => {
    if (!reports) {
      const pool = probePool(spec, ctx);
      reports = doctor(spec, pool).finally(() => pool.closeAll());
    }
    return reports;
  };
}

async function smokeTests(stack: Stack, spec: ClusterSpec, o: DeployFlags, ctx: CliContext): Promise<Record<string, SmokeTest | undefined>> {
  const out: Record<string, SmokeTest | undefined> = {};
  if (!o.smoke) return out;
  for (const f of spec.functions) {
    if (!stack.functions[f.name]) continue;
    const s = SMOKE[f.model];
    const path = o.smokePhoto ?? join(photosDir(ctx.env), s.photo);
    const photo = await fs.readFile(path).catch(() => undefined);
    if (!photo) {
      ctx.warn(`${f.name}: no smoke test, ${path} is missing (scripts/setup fetches darknet's photos; or give --smoke-photo)`);
      continue;
    }
    out[f.name] = { name: path, photo, label: s.label };
  }
  return out;
}

export function makeDeployCommand(): Command {
  return new Command('deploy')
    .description('deploy classify and catdog through the gateway (create or update), wait for replicas, send a real photo')
    .option('-f, --file <stack.yml>', 'deploy this stack.yml as faas-cli would (default: write stack.yml from cluster.yaml)')
    .option('--image <ref>', 'image to deploy (default: what edgefaas images push published last)')
    .option('--gateway <url>', 'gateway URL (default: stack.yml, $OPENFAAS_URL, then the manager in cluster.yaml)')
    .option('--function <name>', 'only this function (repeatable)', collect, [])
    .option('--no-smoke', 'skip the photo sent through the gateway at the end')
    .option('--smoke-photo <path>', 'the photo the smoke test sends (default: darknet dog.jpg from the photo cache)')
    .option('--timeout <seconds>', 'how long to wait for replicas and the first answer', '600')
    .addHelpText('after', '\nExamples:\n  $ edgefaas deploy\n  $ edgefaas deploy -f stack.yml --function classify\n  $ edgefaas deploy --image 10.0.0.2:5000/edgefaas/function:latest --no-smoke')
    .action(async (o: DeployFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const timeout = Number(o.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be seconds, got "${o.timeout}"`);
      const spec = await loadCluster(ctx.opts.config);
      const probe = probeOnce(spec, ctx);
      const { stack, path, written } = await stackToDeploy(o, spec, ctx, probe);
      if (written) ctx.info(`wrote ${path}`);
      const gateway = await gatewayFor(await resolveGatewayUrl({ flag: o.gateway, stack: stack.provider.gateway, env: ctx.env, spec }), spec, ctx.env, ctx.debug);
      const names = o.function.length ? o.function : Object.keys(stack.functions);
      const limits = orchestratorFor(spec).functionLimits;
      if (limits) checkFunctionLimits(limits, stack, names, (await gateway.listFunctions()).map((f) => f.name));
      const smoke = await smokeTests(stack, spec, o, ctx);
      let pinned = new Map<string, PinnedImage>();
      const deployed = await deployStack({
        stack,
        gateway,
        only: names,
        waitTimeoutMs: timeout * 1000,
        smoke,
        log: ctx.info,
        preflight: async () => {
          const images = names.map((n) => stack.functions[n]!.image);
          pinned = await pinForNodes(images, nodeArchs(await probe()), spec, { env: ctx.env, debug: ctx.debug, log: ctx.info });
        },
        resolveImage: async (image) => pinned.get(image) ?? { image },
      });
      const url = gateway.baseUrl;
      ctx.result(
        { gateway: url, stack: path, functions: deployed },
        [
          ...deployed.map((d) => `${d.name}: ${d.outcome}, ${d.availableReplicas} replica(s)${d.smoke ? `, ${d.smoke.top.label} ${d.smoke.top.score.toFixed(3)}` : ''}`),
          `try: curl --data-binary @cat.jpg ${url}/function/${deployed[0]?.name ?? 'classify'}`,
        ].join('\n'),
      );
    });
}
