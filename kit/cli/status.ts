import { Command } from 'commander';
import { loadCluster } from '../inventory/load.ts';
import { orchestratorFor, type ClusterStatus } from '../orchestrator/index.ts';
import { clusterGatewayUrl } from '../openfaas/target.ts';
import { contextOf } from './context.ts';
import { probePool } from './cluster-pool.ts';

export function makeStatusCommand(): Command {
  return new Command('status')
    .description('nodes (arch, role, state), services and replicas, gateway URL')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await loadCluster(ctx.opts.config);
      const pool = probePool(spec, ctx);
      try {
        const s = await orchestratorFor(spec).status({ spec, runner: (n) => pool.runner(n), gatewayUrl: await clusterGatewayUrl(spec, ctx.env) });
        ctx.result(pool.redactor.redactValue(s), pool.redactor.redact(formatStatus(s)));
        // A gateway that does not answer is a cluster that does not work: scripts see it in the code.
        if (!s.manager || !s.gatewayHealthy) process.exitCode = 1;
      } finally {
        await pool.closeAll();
      }
    });
}

export function formatStatus(s: ClusterStatus): string {
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
  };
  const out = [table([['NODE', 'ADDRESS', 'ARCH', 'ROLE', 'STATE'], ...s.nodes.map((n) => [n.name, n.address, n.arch, n.role, n.state])])];
  out.push('');
  out.push(s.services.length ? table([['SERVICE', 'REPLICAS', 'IMAGE'], ...s.services.map((x) => [x.name, x.replicas, x.image])]) : 'no services (run: edgefaas up)');
  out.push('');
  out.push(`gateway: ${s.gatewayUrl} (${s.gatewayHealthy ? 'healthy' : 'not answering /healthz'})`);
  for (const e of s.errors) out.push(`warning: ${e}`);
  return out.join('\n');
}
