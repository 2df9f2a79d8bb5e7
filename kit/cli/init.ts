import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { parse } from 'yaml';
import { buildCluster, FUNCTIONS, type InitAnswers } from '../inventory/answers.ts';
import { loadCluster, parseCluster } from '../inventory/load.ts';
import type { ClusterInput } from '../inventory/schema.ts';
import { writeSecretFile } from '../inventory/secrets.ts';
import { expandTilde } from '../ssh/paths.ts';
import { readSshHosts } from '../inventory/ssh-hosts.ts';
import { renderCluster, writeCluster } from '../inventory/write.ts';
import { orchestratorFor } from '../orchestrator/index.ts';
import { contextOf, type CliContext } from './context.ts';
import { UsageError } from './errors.ts';
import { intFlag, type InitFlags } from './init-flags.ts';
import { collectAnswers } from './init-wizard.ts';
import { inquirerPrompter } from './prompts.ts';

export function makeInitCommand(): Command {
  return new Command('init')
    .description('answer a few questions (or give flags) and get cluster.yaml; nothing on the nodes changes')
    .option('--name <name>', 'cluster name (default: edgefaas)')
    .option(
      '--node <spec>',
      'a node, repeat per node: name=pi-1,address=10.0.0.11[,port=22][,user=pi][,role=manager][,auth=agent|key|password][,key=~/.ssh/id_ed25519][,password-env=VAR|password-file=PATH]',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--manager <name>', 'the node that manages the cluster (default: the node with role=manager, else the first)')
    .addOption(new Option('--orchestrator <kind>', 'what runs the containers').choices(['swarm', 'k3s']))
    .option('--registry <where>', 'manager[=PORT] (run one on the manager), external=HOST:PORT, or none')
    .option('--functions <list>', 'classify (ResNet50), catdog (cats vs dogs), comma-separated')
    .option('--replicas <n>', 'replicas per function at least (com.openfaas.scale.min)', intFlag('--replicas', 1, 100))
    .option('--max-replicas <n>', 'replicas per function at most (com.openfaas.scale.max)', intFlag('--max-replicas', 1, 100))
    .option('--gateway-port <port>', 'OpenFaaS gateway port (default 8080)', intFlag('--gateway-port'))
    .option('--no-gateway-auth', 'turn the gateway basic auth off (not recommended)')
    .option('--output <path>', 'where to write (default: --config, i.e. cluster.yaml)')
    .option('--up', 'run edgefaas up once cluster.yaml is written (asked when interactive)')
    .option('--check', 'only check the existing file (every problem with its field and line); change nothing')
    .addHelpText(
      'after',
      `
Examples:
  $ edgefaas init
  $ edgefaas init --yes --name lab --orchestrator swarm --registry manager --functions classify,catdog \\
      --node name=pi-1,address=10.0.0.11,user=pi,role=manager,auth=key,key=~/.ssh/id_ed25519 \\
      --node name=pi-2,address=10.0.0.12,user=pi,auth=password,password-env=PI2_PASSWORD \\
      --node name=x86-1,address=nuc,auth=agent
  $ edgefaas init --dry-run --yes ...     print the cluster.yaml it would write, write nothing

Passwords never go on the command line: password-env=VAR or password-file=PATH (mode 0600).
A typed password is kept in ~/.edgefaas/<cluster>/secrets/<node>-password (0600; $EDGEFAAS_HOME moves ~/.edgefaas).`,
    )
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(cmd);
      const o = cmd.opts();
      if (o.check) return checkCluster(ctx, o.output ?? ctx.opts.config);
      const flags: InitFlags = {
        name: o.name,
        node: o.node ?? [],
        manager: o.manager,
        orchestrator: o.orchestrator,
        registry: o.registry,
        functions: o.functions,
        replicas: o.replicas,
        maxReplicas: o.maxReplicas,
        gatewayPort: o.gatewayPort,
        gatewayAuth: cmd.getOptionValueSource('gatewayAuth') === 'default' ? undefined : Boolean(o.gatewayAuth),
        output: o.output,
        up: o.up,
      };
      await runInit(ctx, flags);
    });
}

export async function runInit(ctx: CliContext, flags: InitFlags): Promise<void> {
  const path = flags.output ?? ctx.opts.config;
  const existing = await readExisting(ctx, path);
  if (!ctx.opts.yes && !process.stdin.isTTY) {
    throw new UsageError('no terminal to ask questions in: pass --yes with flags (see edgefaas init --help)');
  }
  const prompt = ctx.opts.yes ? undefined : inquirerPrompter(ctx.opts.json ? ctx.stderr : ctx.stdout);
  const sshHosts = await readSshHosts(existing?.ssh?.config ?? '~/.ssh/config', ctx.env);
  const { answers, secrets } = await collectAnswers(flags, { ctx, prompt, existing, sshHosts });
  const cluster = buildCluster(answers, existing);
  const text = renderCluster(cluster, path); // validates: nothing is written when this throws

  if (ctx.opts.dryRun) {
    ctx.info(`# dry run: would write ${path}${secrets.length ? ` and ${secrets.length} password file(s)` : ''}:`);
    ctx.result({ ok: true, dryRun: true, path, cluster }, text.trimEnd());
    return;
  }

  if (prompt && existing) {
    const current = await fs.readFile(path, 'utf8').catch(() => '');
    if (current !== text && !(await prompt.confirm({ message: `${path} exists; replace it (the old one is kept as ${path}.bak)?`, default: true }))) {
      ctx.info(`nothing written; ${path} is as it was`);
      return;
    }
  }
  let written;
  try {
    for (const s of secrets) await writeSecretFile(expandTilde(s.path, ctx.env), s.value);
    written = await writeCluster(path, cluster);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a parent of it is a file, not a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new Error(`cannot write ${path}: ${why}; pick another place with --output PATH`, { cause: e });
  }
  const plan = planLines(answers, path);
  const limits = orchestratorFor({ orchestrator: cluster.orchestrator ?? 'swarm' }).functionLimits;
  if (limits) {
    const over = (cluster.functions ?? []).filter((f) => (f.maxReplicas ?? 0) > limits.replicas || (f.replicas ?? 0) > limits.replicas);
    ctx.warn(`note: OpenFaaS CE on ${cluster.orchestrator} allows ${limits.functions} functions and ${limits.replicas} replicas per function; deploy refuses more`);
    for (const f of over) ctx.warn(`warning: ${f.name} asks for up to ${Math.max(f.maxReplicas ?? 0, f.replicas ?? 0)} replicas; deploy will refuse it above ${limits.replicas}`);
  }
  if (ctx.opts.json) {
    ctx.result({ ok: true, path, status: written.status, backup: written.backup, secrets: secrets.map((s) => s.path), cluster });
    for (const line of plan) ctx.info(line);
  } else {
    ctx.info(`${written.status === 'unchanged' ? 'unchanged' : 'wrote'} ${path}${written.backup ? ` (previous kept as ${written.backup})` : ''}`);
    for (const s of secrets) ctx.info(`password kept in ${s.path} (mode 0600)`);
    for (const line of plan) ctx.info(line);
  }

  const goUp = flags.up ?? (prompt ? await prompt.confirm({ message: 'Bring the cluster up now (edgefaas up)?', default: false }) : false);
  if (goUp) await runUp(ctx, path);
}

/** `init --check`: a ConfigError (exit 2) names each bad field and its line. */
async function checkCluster(ctx: CliContext, path: string): Promise<void> {
  const spec = await loadCluster(path);
  ctx.result({ ok: true, path, nodes: spec.nodes.length }, `${path}: ok (${spec.nodes.length} node${spec.nodes.length === 1 ? '' : 's'}, ${spec.orchestrator})`);
}

async function readExisting(ctx: CliContext, path: string): Promise<ClusterInput | undefined> {
  const text = await fs.readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    parseCluster(text, path);
    return parse(text) as ClusterInput;
  } catch (e) {
    // A broken file gives no defaults but is not lost: it is kept as .bak when replaced.
    ctx.warn(`warning: ${path} is not valid, so its answers are not reused:\n${(e as Error).message}`);
    return undefined;
  }
}

/** What `up` will do, in words; `edgefaas up --dry-run` prints the exact commands. */
export function planLines(a: InitAnswers, path: string): string[] {
  const manager = a.nodes.find((n) => n.role === 'manager')!;
  const lines = ['', `Plan (nothing on any node has changed yet):`];
  const width = Math.max(...a.nodes.map((n) => n.name.length));
  for (const n of a.nodes) {
    const where = `${n.user ? `${n.user}@` : ''}${n.address}${n.port ? `:${n.port}` : ''}`;
    const work =
      n.role === 'manager'
        ? [
            'container runtime',
            a.orchestrator === 'swarm' ? 'swarm init' : 'k3s server',
            ...(a.registry.mode === 'manager' ? [`registry :${a.registry.port}`] : []),
            `OpenFaaS gateway :${a.gatewayPort}${a.gatewayAuth ? ' (basic auth)' : ''}`,
          ]
        : ['container runtime', a.orchestrator === 'swarm' ? `swarm join ${manager.name}` : `k3s agent -> ${manager.name}`];
    lines.push(`  ${n.name.padEnd(width)}  ${n.role.padEnd(7)} ${where}  [${n.auth.method}]: ${work.join(', ')}`);
  }
  if (a.registry.mode === 'external') lines.push(`  registry: ${a.registry.address} (existing)`);
  for (const f of a.functions) lines.push(`  function ${f}: ${FUNCTIONS[f].label}, ${a.replicas}..${a.maxReplicas} replicas`);
  const config = path === 'cluster.yaml' ? '' : ` --config ${path}`;
  lines.push('', `Next: edgefaas doctor${config}   then: edgefaas up --dry-run${config}   then: edgefaas up${config}`);
  return lines;
}

/** `up` belongs to another module: run it as its own process, so init never depends on it. */
async function runUp(ctx: CliContext, path: string): Promise<void> {
  const bin = fileURLToPath(new URL('../../bin/edgefaas.js', import.meta.url));
  const args = [bin, '--config', path, ...(ctx.opts.yes ? ['--yes'] : []), ...(ctx.opts.verbose ? ['--verbose'] : []), 'up'];
  const code = await new Promise<number>((resolve) => {
    spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) process.exitCode = code;
}
