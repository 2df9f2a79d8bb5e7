import { Command } from 'commander';
import { loadConfig, startFunction } from '../../function/src/main.ts';
import { contextOf } from './context.ts';

interface ServeFlags {
  port?: string;
  host?: string;
  model?: string;
  modelDir?: string;
  workers?: string;
}

/** Flags win over the environment the function reads (PORT, MODEL, MODEL_DIR, WORKERS, HOST). */
export function serveEnv(flags: ServeFlags, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  if (flags.port !== undefined) out.PORT = flags.port;
  if (flags.host !== undefined) out.HOST = flags.host;
  if (flags.model !== undefined) out.MODEL = flags.model;
  if (flags.modelDir !== undefined) out.MODEL_DIR = flags.modelDir;
  if (flags.workers !== undefined) out.WORKERS = flags.workers;
  return out;
}

export function makeServeCommand(): Command {
  return new Command('serve')
    .description('serve the classifier function on this machine, as the cluster runs it (Ctrl-C stops)')
    .option('--port <port>', 'port to listen on (env PORT, default 8080)')
    .option('--host <address>', 'address to listen on (env HOST, default 0.0.0.0)')
    .option('--model <name>', 'resnet50 or catdog (env MODEL, default resnet50)')
    .option('--model-dir <dir>', 'where ResNet50 is (env MODEL_DIR, default ~/.cache/edgefaas/models/resnet50)')
    .option('--workers <n>', 'worker processes, one model each (env WORKERS, default: cores or the CPU quota, capped by memory)')
    .action(async (flags: ServeFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const config = loadConfig(serveEnv(flags, ctx.env));
      const running = await startFunction(config, ctx.debug);
      const local = `http://127.0.0.1:${running.port}`;
      ctx.info(`loading ${config.model} in ${config.workers} worker(s)...`);
      const info = await running.ready;
      ctx.result(
        { url: local, model: config.model, backend: info.backend, workers: info.workers, loadSeconds: info.loadSeconds },
        [
          `serving ${config.model} on ${local} (backend ${info.backend}, ${info.workers} worker(s))`,
          `  curl --data-binary @cat.jpg ${local}/`,
          `  upload page: ${local}/`,
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await running.close();
    });
}
