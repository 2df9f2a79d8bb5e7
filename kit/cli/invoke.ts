import { Command } from 'commander';
import { loadCluster } from '../inventory/load.ts';
import { formatAnswer, invokeAsyncWithPhoto, invokeWithPhoto } from '../openfaas/invoke.ts';
import { gatewayFor, resolveGatewayUrl } from '../openfaas/target.ts';
import { contextOf } from './context.ts';

export function makeInvokeCommand(): Command {
  return new Command('invoke')
    .description('send a photo to a function through the gateway and print its answer')
    .argument('<function>', 'classify or catdog (or any deployed function)')
    .argument('<photo>', 'a JPEG or PNG file')
    .option('--gateway <url>', 'gateway URL (default: $OPENFAAS_URL, then the manager in cluster.yaml)')
    .option('--async', 'queue the call (POST /async-function/NAME; needs NATS in the stack) and print its call id')
    .addHelpText('after', '\nExamples:\n  $ edgefaas invoke classify dog.jpg\n  $ edgefaas invoke catdog cat.jpg --json')
    .action(async (name: string, photo: string, o: { gateway?: string; async?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = o.gateway || ctx.env.OPENFAAS_URL ? undefined : await loadCluster(ctx.opts.config);
      const gateway = await gatewayFor(await resolveGatewayUrl({ flag: o.gateway, env: ctx.env, spec }), spec, ctx.env, ctx.debug);
      if (o.async) {
        const queued = await invokeAsyncWithPhoto(gateway, name, photo);
        return ctx.result(queued, `queued: call id ${queued.callId}`);
      }
      const answer = await invokeWithPhoto(gateway, name, photo, { log: ctx.warn });
      ctx.result(answer, formatAnswer(answer));
    });
}
