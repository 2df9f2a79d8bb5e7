import type { ExecOptions, ExecResult, NodePlan, Runner, Step } from './types.ts';

/**
 * Under --dry-run, wrap each node's Runner with dryRun(): read-only commands (probes, passed with
 * `readOnly: true`) run for real; every other command and upload is printed as
 * `[node] $ sudo command <secret on stdin>` and answered with exit 0 and no output.
 *
 *   const runner = opts.dryRun ? dryRun(real, (l) => ctx.info(l)) : real;
 *   await execStep(runner, { title: 'docker present?', command: 'docker version', readOnly: true });
 */
export function dryRun(inner: Runner | undefined, print: (line: string) => void, node = inner?.node ?? '?'): Runner {
  return {
    node,
    async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
      if (opts.readOnly) {
        if (!inner) throw new Error(`dry run: no connection to ${node} for the read-only probe: ${command}`);
        return inner.exec(command, opts);
      }
      print(formatCommand(node, { command, sudo: opts.sudo, stdin: opts.stdin }));
      return { stdout: '', stderr: '', code: 0, ms: 0 };
    },
    async upload(localPathOrData: string | Buffer, remotePath: string, mode?: number): Promise<void> {
      const what = typeof localPathOrData === 'string' ? localPathOrData : `<${localPathOrData.length} bytes>`;
      const m = mode === undefined ? '' : ` (mode ${mode.toString(8).padStart(4, '0')})`;
      print(`[${node}] upload ${what} -> ${remotePath}${m}`);
    },
    async close(): Promise<void> {
      await inner?.close();
    },
  };
}

/** `[pi-1] $ sudo docker swarm join ... <secret on stdin>`: never the stdin itself. */
export function formatCommand(node: string, step: Pick<Step, 'command' | 'sudo' | 'stdin'>): string {
  const stdin = step.stdin !== undefined ? ' <secret on stdin>' : '';
  return `[${node}] $ ${asTyped(step)}${stdin}`;
}

/**
 * The command as a user would type it. Under sudo a compound line runs whole as root (the ssh
 * layer runs `sudo sh -c`), so it is shown that way: `sudo a && b` would mean something else.
 */
export function asTyped(step: Pick<Step, 'command' | 'sudo'>): string {
  if (!step.sudo) return step.command;
  if (!/[;&|<>\n`$(){}*?~]|^\s*\w+=/.test(step.command)) return `sudo ${step.command}`;
  return `sudo sh -c '${step.command.replace(/'/g, `'\\''`)}'`;
}

/** The whole plan as dry-run prints it, node by node (read-only probes marked, not hidden). */
export function formatPlan(plans: NodePlan[]): string[] {
  const lines: string[] = [];
  for (const plan of plans) {
    for (const step of plan.steps) {
      lines.push(step.readOnly ? `${formatCommand(plan.node, step)}   # probe, read-only` : formatCommand(plan.node, step));
    }
  }
  return lines;
}
