import { existsSync } from 'node:fs';
import {
  FUNCTIONS,
  passwordFileRef,
  splitHostPort,
  suggestNodeName,
  type FunctionChoice,
  type InitAnswers,
  type NodeAnswer,
  type RegistryAnswer,
} from '../inventory/answers.ts';
import { probePort, userFromBanner, type PortAnswer } from '../inventory/reachability.ts';
import type { SshHosts } from '../inventory/ssh-hosts.ts';
import { resolveSecret } from '../inventory/secrets.ts';
import { expandTilde } from '../ssh/paths.ts';
import type { ClusterInput, NodeAuth, SecretRef } from '../inventory/schema.ts';
import { UsageError } from './errors.ts';
import type { CliContext } from './context.ts';
import type { Prompter } from './prompts.ts';
import { parseFunctionsFlag, parseNodeFlag, parseRegistryFlag, type InitFlags } from './init-flags.ts';

export interface WizardDeps {
  ctx: CliContext;
  /** undefined under --yes: every answer comes from a flag, the existing file or a default. */
  prompt?: Prompter;
  existing?: ClusterInput;
  sshHosts: SshHosts;
  /** TCP check of port 22, with the SSH banner when there is one. */
  probe?: (host: string, port: number) => Promise<PortAnswer>;
}

/** A password typed into the wizard: written (0600) only once cluster.yaml is about to be written. */
export interface PendingSecret {
  path: string;
  value: string;
}

export interface WizardResult {
  answers: InitAnswers;
  secrets: PendingSecret[];
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_RE = /^[A-Za-z0-9._:%-]+$/;

/** Each answer is `flag ?? (yes ? default : await prompt())`, asked in the order a user thinks. */
export async function collectAnswers(flags: InitFlags, deps: WizardDeps): Promise<WizardResult> {
  const { prompt, existing, ctx } = deps;
  const probe = deps.probe ?? ((h, p) => probePort(h, p));
  const secrets: PendingSecret[] = [];

  const name =
    flags.name ??
    (prompt
      ? await prompt.input({ message: 'Cluster name', default: existing?.name ?? 'edgefaas', validate: (v) => NAME_RE.test(v.trim()) || 'lower-case letters, digits and -' })
      : (existing?.name ?? 'edgefaas'));
  if (!NAME_RE.test(name)) throw new UsageError(`--name: expected lower-case letters, digits and -, got "${name}"`);

  let nodes: NodeAnswer[];
  if (flags.node.length > 0) {
    nodes = flags.node.map((spec, i) => parseNodeFlag(spec, i));
    checkDistinct(nodes);
    for (const n of nodes) await checkNodeFlag(n, deps, probe);
  } else if (!prompt) {
    if (!existing?.nodes?.length) {
      throw new UsageError('no nodes: pass --node name=pi-1,address=10.0.0.11,user=pi (once per node), or run edgefaas init without --yes');
    }
    nodes = existing.nodes.map((n) => ({ name: n.name, address: n.address, port: n.port, user: n.user, role: n.role ?? 'worker', auth: n.auth ?? { method: 'agent' } }));
  } else {
    nodes = await askNodes(prompt, name, deps, probe, secrets);
  }

  nodes = await pickManager(nodes, flags, prompt, existing);

  const orchestrator =
    flags.orchestrator ??
    (prompt
      ? await prompt.select({
          message: 'Orchestrator',
          choices: [
            { name: 'Docker Swarm', value: 'swarm' as const, description: 'light, what the Pi write-ups used' },
            { name: 'k3s', value: 'k3s' as const, description: 'lightweight Kubernetes' },
          ],
          default: existing?.orchestrator ?? 'swarm',
        })
      : (existing?.orchestrator ?? 'swarm'));

  const registry = flags.registry !== undefined ? parseRegistryFlag(flags.registry) : prompt ? await askRegistry(prompt, existing, { cluster: name, secrets, env: ctx.env }) : defaultRegistry(existing);

  const functions = flags.functions !== undefined ? parseFunctionsFlag(flags.functions) : prompt ? await askFunctions(prompt, existing) : defaultFunctions(existing);

  const firstFn = existing?.functions?.[0];
  const replicas = flags.replicas ?? (prompt ? await prompt.number({ message: 'Replicas per function at least (com.openfaas.scale.min)', default: firstFn?.replicas ?? 1, min: 1, max: 100 }) : (firstFn?.replicas ?? 1));
  const maxReplicas =
    flags.maxReplicas ??
    (prompt
      ? await prompt.number({ message: 'Replicas per function at most (com.openfaas.scale.max)', default: Math.max(replicas, firstFn?.maxReplicas ?? 5), min: replicas, max: 100 })
      : Math.max(replicas, firstFn?.maxReplicas ?? 5));
  if (maxReplicas < replicas) throw new UsageError(`--max-replicas (${maxReplicas}) is below --replicas (${replicas})`);

  const gatewayPort =
    flags.gatewayPort ?? (prompt ? await prompt.number({ message: 'Gateway port', default: existing?.gateway?.port ?? 8080, min: 1, max: 65535 }) : (existing?.gateway?.port ?? 8080));
  const gatewayAuth =
    flags.gatewayAuth ??
    (prompt
      ? await prompt.confirm({ message: 'Gateway basic auth (a generated admin password, kept 0600 on this machine)?', default: existing?.gateway?.auth ?? true })
      : (existing?.gateway?.auth ?? true));
  if (!gatewayAuth) ctx.warn('warning: gateway auth is off: anyone on the network can deploy functions');

  return { answers: { name, nodes, orchestrator, registry, functions, replicas, maxReplicas, gatewayPort, gatewayAuth }, secrets };
}

async function askNodes(prompt: Prompter, cluster: string, deps: WizardDeps, probe: NonNullable<WizardDeps['probe']>, secrets: PendingSecret[]): Promise<NodeAnswer[]> {
  const { sshHosts, existing, ctx } = deps;
  const before = existing?.nodes ?? [];
  const nodes: NodeAnswer[] = [];
  if (sshHosts.aliases.length) ctx.info(`Hosts in ~/.ssh/config: ${sshHosts.aliases.join(', ')}`);
  for (let i = 0; ; i++) {
    const prev = before[i];
    const taken = (a: string, p?: number) => nodes.find((n) => n.address === a && (n.port ?? 22) === (p ?? 22));
    const entered = await prompt.input({
      message: `Node ${i + 1}: address or ~/.ssh/config alias (host or host:port)`,
      default: prev ? (prev.port ? `${prev.address}:${prev.port}` : prev.address) : undefined,
      validate: (v) => {
        const { address, port } = splitHostPort(v);
        if (!address) return 'expected a host name or IP, got ""';
        if (!HOST_RE.test(address)) return `expected a host name, IP or ~/.ssh/config alias, got "${address}"`;
        if (port !== undefined && (port < 1 || port > 65535)) return `port: expected 1..65535, got ${port}`;
        const dup = taken(address, port);
        return dup ? `duplicate node: ${v.trim()} is already ${dup.name}` : true;
      },
    });
    const { address, port } = splitHostPort(entered);
    const alias = sshHosts.lookup(address);
    const target = { host: alias.hostName ?? address, port: port ?? alias.port ?? 22 };
    const answer = await probe(target.host, target.port);
    if (answer.open) {
      ctx.info(`  ${target.host}:${target.port} answers${answer.banner ? ` (${answer.banner})` : ''}`);
    } else {
      const keep = await prompt.confirm({
        message: `${target.host} does not answer on port ${target.port}. Keep it anyway?`,
        default: prev !== undefined && prev.address === address,
      });
      if (!keep) {
        i--;
        continue;
      }
    }
    const nodeName = await prompt.input({
      message: 'Node name',
      default: prev?.name ?? suggestNodeName(address, i),
      validate: (v) => (!NAME_RE.test(v.trim()) ? 'lower-case letters, digits and - (like a host name)' : nodes.some((n) => n.name === v.trim()) ? `duplicate node: name "${v.trim()}" is taken` : true),
    });
    const user = await prompt.input({ message: 'SSH user', default: prev?.user ?? alias.user ?? userFromBanner(answer.banner) ?? 'pi', validate: (v) => (v.trim() ? true : 'expected a user name') });
    const auth = await askAuth(prompt, cluster, nodeName.trim(), prev?.auth ?? defaultAuth(alias.identityFile, ctx.env), secrets, ctx.env);
    nodes.push({ name: nodeName.trim(), address, ...(port !== undefined ? { port } : {}), user: user.trim(), role: 'worker', auth });
    const more = await prompt.confirm({ message: 'Add another node?', default: before.length > i + 1 });
    if (!more) return nodes;
  }
}

function defaultAuth(identityFile: string | undefined, env: NodeJS.ProcessEnv): NodeAuth {
  if (identityFile) return { method: 'key', keyFile: identityFile };
  if (env.SSH_AUTH_SOCK) return { method: 'agent' };
  return { method: 'key', keyFile: '~/.ssh/id_ed25519' };
}

async function askAuth(
  prompt: Prompter,
  cluster: string,
  node: string,
  current: NodeAuth,
  secrets: PendingSecret[],
  env: NodeJS.ProcessEnv,
): Promise<NodeAuth> {
  const method = await prompt.select({
    message: 'Authentication',
    choices: [
      { name: 'ssh-agent', value: 'agent' as const },
      { name: 'key file', value: 'key' as const },
      { name: 'password', value: 'password' as const },
    ],
    default: current.method,
  });
  if (method === 'agent') return { method };
  if (method === 'key') {
    const keyFile = await prompt.input({
      message: 'Private key file',
      default: current.method === 'key' ? current.keyFile : '~/.ssh/id_ed25519',
      validate: (v) => (existsSync(expandTilde(v.trim())) ? true : `no such file: ${v.trim()}`),
    });
    return { method, keyFile: keyFile.trim() };
  }
  const stored = current.method === 'password' && current.password.file ? current.password : undefined;
  const source = await prompt.select({
    message: 'Password from',
    choices: [
      ...(stored ? [{ name: `keep the stored one (${stored.file})`, value: 'keep' as const }] : []),
      { name: 'type it now (kept in a 0600 file, never in cluster.yaml)', value: 'prompt' as const },
      { name: 'an environment variable', value: 'env' as const },
    ],
    default: stored ? 'keep' : current.method === 'password' && current.password.env ? 'env' : 'prompt',
  });
  if (source === 'keep' && stored) return { method, password: stored };
  if (source === 'env') {
    const env = await prompt.input({
      message: 'Environment variable name',
      default: current.method === 'password' && current.password.env ? current.password.env : `EDGEFAAS_${node.toUpperCase().replace(/-/g, '_')}_PASSWORD`,
      validate: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.trim()) ? true : 'expected a variable name like PI_PASSWORD'),
    });
    return { method, password: { env: env.trim() } };
  }
  return { method, password: await typePassword(prompt, `Password for ${node}`, { cluster, owner: node, env, secrets }) };
}

/** A password typed now: cluster.yaml names only its file, written (0600) with cluster.yaml. */
async function typePassword(prompt: Prompter, message: string, o: { cluster: string; owner: string; env: NodeJS.ProcessEnv; secrets: PendingSecret[] }): Promise<SecretRef> {
  const value = await prompt.password({ message, validate: (v) => (v ? true : 'empty password') });
  const ref = passwordFileRef(o.cluster, o.owner, o.env);
  o.secrets.push({ path: ref.file!, value });
  return ref;
}

async function pickManager(nodes: NodeAnswer[], flags: InitFlags, prompt: Prompter | undefined, existing?: ClusterInput): Promise<NodeAnswer[]> {
  let manager = flags.manager;
  if (manager !== undefined && !nodes.some((n) => n.name === manager)) {
    throw new UsageError(`--manager: no node named "${manager}"; nodes: ${nodes.map((n) => n.name).join(', ')}`);
  }
  if (manager === undefined && nodes.some((n) => n.role === 'manager')) return nodes;
  if (manager === undefined) {
    const before = existing?.nodes?.find((n) => n.role === 'manager' && nodes.some((m) => m.name === n.name))?.name;
    manager =
      prompt && nodes.length > 1
        ? await prompt.select({ message: 'Which node is the manager?', choices: nodes.map((n) => ({ name: `${n.name} (${n.address})`, value: n.name })), default: before ?? nodes[0]!.name })
        : (before ?? nodes[0]!.name);
  }
  return nodes.map((n) => ({ ...n, role: n.name === manager ? 'manager' : 'worker' }));
}

async function askRegistry(prompt: Prompter, existing: ClusterInput | undefined, o: { cluster: string; secrets: PendingSecret[]; env: NodeJS.ProcessEnv }): Promise<RegistryAnswer> {
  const current = defaultRegistry(existing);
  const mode = await prompt.select({
    message: 'Image registry',
    choices: [
      { name: 'run one on the manager', value: 'manager' as const },
      { name: 'use an existing one', value: 'external' as const },
      { name: 'none (images are loaded onto each node)', value: 'none' as const },
    ],
    default: current.mode,
  });
  if (mode === 'none') return { mode };
  if (mode === 'manager') return { mode, port: current.mode === 'manager' ? current.port : 5000 };
  const address = await prompt.input({
    message: 'Registry address (HOST:PORT)',
    default: current.mode === 'external' ? current.address : undefined,
    validate: (v) => (HOST_RE.test(v.trim()) ? true : `expected HOST:PORT, got "${v.trim()}"`),
  });
  const was = current.mode === 'external' ? current : undefined;
  const ca = await prompt.input({
    message: 'CA certificate of its TLS (PEM file; empty when a public CA signed it)',
    default: was?.ca ?? '',
    validate: (v) => (!v.trim() || existsSync(expandTilde(v.trim())) ? true : `no such file: ${v.trim()}`),
  });
  const stored = was?.username && was.password ? { username: was.username, password: was.password } : undefined;
  const login = await prompt.select({
    message: 'Registry credentials',
    choices: [
      ...(stored ? [{ name: `keep the stored ones (${stored.username})`, value: 'keep' as const }] : []),
      { name: "docker login's (~/.docker/config.json on this machine), or none", value: 'docker' as const },
      { name: 'type a user and password now (kept in a 0600 file, never in cluster.yaml)', value: 'prompt' as const },
    ],
    default: stored ? ('keep' as const) : ('docker' as const),
  });
  const r: RegistryAnswer = { mode, address: address.trim(), ...(ca.trim() ? { ca: ca.trim() } : {}), ...(was?.insecure ? { insecure: true } : {}) };
  if (login === 'keep' && stored) Object.assign(r, stored);
  if (login === 'prompt') {
    r.username = (await prompt.input({ message: 'Registry user', default: was?.username, validate: (v) => (v.trim() ? true : 'empty user') })).trim();
    r.password = await typePassword(prompt, `Password for ${r.username} at ${r.address}`, { ...o, owner: 'registry' });
  }
  return r;
}

function defaultRegistry(existing?: ClusterInput): RegistryAnswer {
  const r = existing?.registry;
  if (!r || r.mode === 'manager') return { mode: 'manager', port: r?.port ?? 5000 };
  return r;
}

async function askFunctions(prompt: Prompter, existing?: ClusterInput): Promise<FunctionChoice[]> {
  const current = defaultFunctions(existing);
  const picked = await prompt.select({
    message: 'Functions',
    choices: [
      { name: `both: classify (${FUNCTIONS.classify.label}) and catdog`, value: 'both' },
      { name: `classify: ${FUNCTIONS.classify.label}`, value: 'classify' },
      { name: `catdog: ${FUNCTIONS.catdog.label}`, value: 'catdog' },
    ],
    default: current.length === 2 ? 'both' : current[0],
  });
  return parseFunctionsFlag(picked);
}

function defaultFunctions(existing?: ClusterInput): FunctionChoice[] {
  const names = (existing?.functions ?? []).map((f) => f.name).filter((n): n is FunctionChoice => n in FUNCTIONS);
  return names.length ? names : ['classify', 'catdog'];
}

function checkDistinct(nodes: NodeAnswer[]): void {
  nodes.forEach((n, i) => {
    const j = nodes.findIndex((m) => m.name === n.name);
    if (j < i) throw new UsageError(`--node #${i + 1}: duplicate node: name "${n.name}" is already --node #${j + 1}`);
    const k = nodes.findIndex((m) => m.address === n.address && (m.port ?? 22) === (n.port ?? 22));
    if (k < i) throw new UsageError(`--node #${i + 1}: duplicate node: address ${n.address}:${n.port ?? 22} is already --node #${k + 1}`);
  });
}

/** Flags are taken as given, but what would fail later is said now. */
async function checkNodeFlag(n: NodeAnswer, deps: WizardDeps, probe: NonNullable<WizardDeps['probe']>): Promise<void> {
  const alias = deps.sshHosts.lookup(n.address);
  const host = alias.hostName ?? n.address;
  const port = n.port ?? alias.port ?? 22;
  if (!(await probe(host, port)).open) deps.ctx.warn(`warning: ${n.name} (${host}) does not answer on port ${port}; kept`);
  if (n.auth.method === 'key' && !existsSync(expandTilde(n.auth.keyFile, deps.ctx.env))) deps.ctx.warn(`warning: ${n.name}: key file ${n.auth.keyFile} not found`);
  if (n.auth.method === 'password') {
    if (n.auth.password.file) {
      await resolveSecret({ file: n.auth.password.file }, deps.ctx.env).catch((e: Error) => {
        throw new UsageError(`--node ${n.name}: password-file: ${e.message}`);
      });
    }
    else if (n.auth.password.env && deps.ctx.env[n.auth.password.env] === undefined) {
      deps.ctx.warn(`warning: ${n.name}: environment variable ${n.auth.password.env} is not set here`);
    }
  }
}
