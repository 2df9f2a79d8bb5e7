import { Command } from 'commander';
import { loadCluster } from '../inventory/load.ts';
import type { NodeSpec } from '../inventory/schema.ts';
import { orchestratorFor, type DownResult } from '../orchestrator/index.ts';
import { contextOf } from './context.ts';
import { dryRun } from '../plan/dry-run.ts';
import { formatSummary, runLive } from './progress.ts';
import { UsageError } from './errors.ts';
import { probePool } from './cluster-pool.ts';

export function makeDownCommand(): Command {
  return new Command('down')
    .description('remove what edgefaas made: its functions, OpenFaaS, the registry and secrets; Swarm: nodes leave a swarm edgefaas created (Docker stays); k3s: k3s stays')
    .option('--purge', 'also undo the install: Swarm: put back the /etc/docker/daemon.json each node had before edgefaas; k3s: run k3s\'s uninstall scripts (agents first)')
    .action(async (o: { purge?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await loadCluster(ctx.opts.config);
      if (!ctx.opts.yes && !ctx.opts.dryRun) {
        if (!ctx.interactive) throw new UsageError(`down removes OpenFaaS and the ${spec.orchestrator === 'k3s' ? (o.purge ? 'k3s install' : 'functions') : 'swarm'}; run it with --yes (or --dry-run to see what it would do)`);
        const { confirm } = await import('@inquirer/prompts');
        if (!(await confirm({ message: `remove OpenFaaS${spec.orchestrator === 'swarm' ? ' and the swarm' : o.purge ? ' and k3s' : ''} from ${spec.nodes.length} node(s)?`, default: false }))) return;
      }
      const orchestrator = orchestratorFor(spec);
      const pool = probePool(spec, ctx);
      try {
        const deps = {
          spec,
          runner: async (node: NodeSpec) => {
            const real = await pool.runner(node);
            return ctx.opts.dryRun ? dryRun(real, (l) => ctx.info(l)) : real;
          },
          dryRun: ctx.opts.dryRun,
          log: (l: string) => ctx.info(l),
          purge: !!o.purge,
        };
        // A dry run lists the commands it would run; a real run shows a row per node, then the summary.
        let r: DownResult;
        if (ctx.opts.dryRun) r = await orchestrator.down(deps);
        else {
          const live = await runLive(ctx, spec.nodes.map((n) => n.name), (rows) => orchestrator.down({ ...deps, progress: rows }), {
            redact: (t) => pool.redactor.redact(t),
          });
          r = live.value;
          for (const line of formatSummary(live.summary)) ctx.info(pool.redactor.redact(line));
        }
        const human = r.nodes.map((n) => (n.ok ? `${n.node}: ${n.changes.length ? 'down' : 'nothing to remove'}` : `${n.node}: FAILED: ${n.error}`)).join('\n');
        ctx.result(pool.redactor.redactValue(r), human);
        if (!r.ok) process.exitCode = 1;
      } finally {
        await pool.closeAll();
      }
    });
}
