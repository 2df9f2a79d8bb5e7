import { Command } from 'commander';
import { loadCluster } from '../inventory/load.ts';
import { doctor, formatDoctor } from '../nodes/index.ts';
import { SshPool, describeHostKeyEvent, poolOptionsFromCluster } from '../ssh/index.ts';
import { contextOf } from './context.ts';
import { UsageError } from './errors.ts';
import { collect } from './repeatable-flag.ts';

export function makeDoctorCommand(): Command {
  return new Command('doctor')
    .description('check every node read-only over SSH: OS, arch, memory, disk, cgroups, Docker, swarm, IPVS, clock, ports')
    .option('--node <name>', 'only this node (repeatable or comma-separated)', collect, [])
    .option('--accept-new-host-key [jump-host]', "with --node: the node was reinstalled; trust its new SSH host key (or, naming it, that of the node's jump host)")
    .action(async (o: { node: string[]; acceptNewHostKey?: boolean | string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const spec = await loadCluster(ctx.opts.config);
      const unknown = o.node.filter((n) => !spec.nodes.some((x) => x.name === n));
      if (unknown.length) throw new UsageError(`no node named ${unknown.join(', ')} in ${ctx.opts.config} (nodes: ${spec.nodes.map((n) => n.name).join(', ')})`);
      if (o.acceptNewHostKey && o.node.length === 0) throw new UsageError('--accept-new-host-key needs --node <name>: say which node was reinstalled');
      const pool = new SshPool(
        poolOptionsFromCluster(spec, {
          env: ctx.env,
          log: ctx.debug,
          acceptChangedHostKey: o.acceptNewHostKey === true ? o.node : undefined,
          acceptChangedJumpHostKey: typeof o.acceptNewHostKey === 'string' ? [o.acceptNewHostKey] : undefined,
          onHostKey: (e) => ctx.info(describeHostKeyEvent(e)),
          askPassphrase: ctx.interactive
            ? async (path) => (await import('@inquirer/prompts')).password({ message: `passphrase for ${path}` })
            : undefined,
        }),
      );
      try {
        const reports = await doctor(spec, pool, o.node);
        ctx.result(pool.redactor.redactValue({ ok: reports.every((r) => r.ok), nodes: reports }), formatDoctor(reports));
        if (!reports.every((r) => r.ok)) process.exitCode = 1;
      } finally {
        await pool.closeAll();
      }
    });
}
