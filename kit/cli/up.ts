import { Command } from 'commander';
import { loadCluster } from '../inventory/load.ts';
import type { NodeSpec } from '../inventory/schema.ts';
import { gatewayPasswordFile } from '../openfaas/credentials.ts';
import { orchestratorFor, type UpResult } from '../orchestrator/index.ts';
import { contextOf } from './context.ts';
import { dryRun } from '../plan/dry-run.ts';
import { formatSummary, runLive, type ProgressSummary } from './progress.ts';
import { UsageError } from './errors.ts';
import { probePool } from './cluster-pool.ts';
import { clusterSshConfig } from '../ssh/target.ts';

export function makeUpCommand(): Command {
  return new Command('up')
    .description('the orchestrator cluster.yaml names (Docker Swarm or k3s) on every node, a registry and OpenFaaS: re-runnable, nodes in parallel')
    .option('--wait <seconds>', 'how long to wait for the gateway to answer', '300')
    .option('--adopt', 'deploy into the swarm the first manager already runs, which edgefaas did not create (down then removes only what edgefaas added)')
    .option('--k3s-binary <path>', 'k3s airgap: the k3s binary for the nodes (install.sh from get.k3s.io beside it)')
    .option('--k3s-images <path>', 'k3s airgap: the airgap images tarball')
    .option('--k3s-sha256 <path>', 'k3s airgap: the sha256sum file listing both (as k3s releases publish)')
    .action(async (o: { wait: string; adopt?: boolean; k3sBinary?: string; k3sImages?: string; k3sSha256?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await loadCluster(ctx.opts.config);
      const orchestrator = orchestratorFor(spec);
      const wait = Number(o.wait);
      if (!Number.isFinite(wait) || wait < 0) throw new UsageError(`--wait takes seconds, got "${o.wait}"`);
      const given = [o.k3sBinary, o.k3sImages, o.k3sSha256].filter(Boolean).length;
      if (given && given < 3) throw new UsageError('an airgap install needs all three: --k3s-binary, --k3s-images and --k3s-sha256');
      const airgap = given ? { binary: o.k3sBinary!, images: o.k3sImages!, checksums: o.k3sSha256! } : undefined;
      const pool = probePool(spec, ctx);
      try {
        const started = Date.now();
        const deps = {
          spec,
          runner: async (node: NodeSpec) => {
            const real = await pool.runner(node);
            return ctx.opts.dryRun ? dryRun(real, (l) => ctx.info(pool.redactor.redact(l))) : real;
          },
          dryRun: ctx.opts.dryRun,
          log: (line: string) => ctx.info(pool.redactor.redact(line)),
          passwordFile: gatewayPasswordFile(spec, ctx.env),
          gatewayWaitMs: wait * 1000,
          adopt: !!o.adopt,
          secrets: pool.redactor,
          yes: ctx.opts.yes,
          airgap,
          env: ctx.env,
          reconnect: (node: NodeSpec) => pool.reconnect(node),
          resolve: { sshConfig: await clusterSshConfig(spec, ctx.env), env: ctx.env },
        };
        // A dry run lists the commands it would run, in order; a real run shows a row per node.
        let summary: ProgressSummary | undefined;
        let result: UpResult;
        if (ctx.opts.dryRun) result = await orchestrator.up(deps);
        else {
          const live = await runLive(ctx, spec.nodes.map((n) => n.name), (rows) => orchestrator.up({ ...deps, progress: rows }), {
            redact: (t) => pool.redactor.redact(t),
          });
          result = live.value;
          summary = live.summary;
          for (const line of formatSummary(summary)) ctx.info(pool.redactor.redact(line));
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const counts = summary && { changed: summary.changed.length, alreadyRight: summary.unchanged.length, failed: summary.failed };
        ctx.result(pool.redactor.redactValue({ ...result, seconds: Number(seconds), dryRun: ctx.opts.dryRun, ...(counts ? { steps: counts } : {}) }), formatUp(result, seconds, ctx.opts.dryRun));
        if (!result.ok) process.exitCode = 1;
      } finally {
        await pool.closeAll();
      }
    });
}

export function formatUp(r: UpResult, seconds: string, dry: boolean): string {
  const lines: string[] = [];
  for (const note of r.notes) lines.push(`note: ${note}`);
  for (const n of r.nodes) {
    if (!n.ok) lines.push(`${n.node}: FAILED: ${n.error}`);
    else if (dry) lines.push(`${n.node}: ${n.changes.length ? `${n.changes.length} step(s) would run` : 'already up, nothing to change'}`);
    else lines.push(`${n.node}: ${n.changes.length ? `${n.changes.length} change${n.changes.length > 1 ? 's' : ''}` : 'already up, nothing changed'}`);
  }
  if (dry) lines.push('dry run: nothing was changed (the commands above are what up would run)');
  else if (!r.ok) lines.push(`up finished with errors in ${seconds}s; fix the above, then run: edgefaas up (it picks up where it stopped)`);
  else if (!r.changed) lines.push(`nothing to change: the cluster is already up (${seconds}s). gateway: ${r.gatewayUrl}`);
  else lines.push(`cluster up in ${seconds}s. gateway: ${r.gatewayUrl} (user admin, password in the file named above); next: edgefaas status`);
  return lines.join('\n');
}
