import { Command } from 'commander';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_LEVELS, runBench, summaryText, writeBenchFiles } from '../bench/index.ts';
import { loadCluster } from '../inventory/load.ts';
import { photosDir } from '../openfaas/functions.ts';
import { gatewayFor, resolveGatewayUrl } from '../openfaas/target.ts';
import { contextOf } from './context.ts';
import { UsageError } from './errors.ts';

interface BenchFlags {
  concurrency: string;
  requests: string;
  cold: boolean;
  gateway?: string;
  out: string;
  timeout: string;
}

function wholeNumbers(flag: string, v: string, max: number): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < 1 || n > max)) throw new UsageError(`${flag} must be whole numbers 1 to ${max}, comma-separated, got "${v}"`);
  return out;
}

export function makeBenchCommand(): Command {
  return new Command('bench')
    .description('load a function through the gateway at several concurrency levels; latency, throughput, errors, cold start')
    .argument('<function>', 'a deployed function, e.g. classify')
    .argument('[photo]', 'the image to send (default: darknet dog.jpg from the photo cache)')
    .option('--concurrency <list>', 'concurrent clients per level', DEFAULT_LEVELS.join(','))
    .option('--requests <n>', 'requests per level', '40')
    .option('--no-cold', "skip the cold start (it scales the function to 0 and back)")
    .option('--gateway <url>', 'gateway URL (default: $OPENFAAS_URL, then the manager in cluster.yaml)')
    .option('--out <dir>', 'where bench-<function>-<time>.{md,json,svg} go', '.')
    .option('--timeout <seconds>', 'per request, and for replicas to come back', '120')
    .addHelpText('after', '\nExamples:\n  $ edgefaas bench classify\n  $ edgefaas bench classify cat.jpg --concurrency 1,2,4 --requests 20 --no-cold')
    .action(async (fn: string, photoArg: string | undefined, o: BenchFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const levels = wholeNumbers('--concurrency', o.concurrency, 1000);
      const [requests] = wholeNumbers('--requests', o.requests, 1_000_000);
      const [timeout] = wholeNumbers('--timeout', o.timeout, 86_400);
      const photoPath = photoArg ?? join(photosDir(ctx.env), 'dog.jpg');
      const photo = await fs.readFile(photoPath).catch(() => {
        throw new UsageError(`cannot read the photo ${photoPath}; give one: edgefaas bench ${fn} PHOTO`);
      });
      const spec = o.gateway || ctx.env.OPENFAAS_URL ? undefined : await loadCluster(ctx.opts.config);
      const gateway = await gatewayFor(await resolveGatewayUrl({ flag: o.gateway, env: ctx.env, spec }), spec, ctx.env, ctx.debug);
      const result = await runBench({
        gateway,
        function: fn,
        photo,
        photoName: basename(photoPath),
        levels,
        requests: requests!,
        cold: o.cold,
        timeoutMs: timeout! * 1000,
        readyTimeoutMs: Math.max(600, timeout!) * 1000,
        log: ctx.info,
      });
      const files = await writeBenchFiles(result, o.out);
      ctx.info(summaryText(result));
      ctx.info(`wrote ${files.md}, ${files.json}, ${files.svg}`);
      // Last line, whatever the mode: one JSON object with the per-level figures.
      ctx.stdout.write(`${JSON.stringify({ ...result, files })}\n`);
    });
}
