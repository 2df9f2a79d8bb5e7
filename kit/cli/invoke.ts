import { Command } from 'commander';
import { loadCluster } from '../inventory/load.ts';
import { formatAnswer, invokeWithPhoto } from '../openfaas/invoke.ts';
import { gatewayFor, resolveGatewayUrl } from '../openfaas/target.ts';
import { contextOf } from './context.ts';

export function makeInvokeCommand(): Command {
  return new Command('invoke')
    .description('send a photo to a function through the gateway and print its answer')
    .argument('<function>', 'classify or catdog (or any deployed function)')
    .argument('<photo>', 'a JPEG or PNG file')
    .option('--gateway <url>', 'gateway URL (default: $OPENFAAS_URL, then the manager in cluster.yaml)')
    .addHelpText('after', '\nExamples:\n  $ edgefaas invoke classify dog.jpg\n  $ edgefaas invoke catdog cat.jpg --json')
    .action(async (name: string, photo: string, o: { gateway?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = o.gateway || ctx.env.OPENFAAS_URL ? undefined : await loadCluster(ctx.opts.config);
      const gateway = await gatewayFor(await resolveGatewayUrl({ flag: o.gateway, env: ctx.env, spec }), spec, ctx.env, ctx.debug);
      const answer = await invokeWithPhoto(gateway, name, photo);
      ctx.result(answer, formatAnswer(answer));
    });
}
