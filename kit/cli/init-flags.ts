import { FUNCTIONS, type FunctionChoice, type NodeAnswer, type RegistryAnswer } from '../inventory/answers.ts';
import type { NodeAuth } from '../inventory/schema.ts';
import { UsageError } from './errors.ts';

/** The raw flags of `edgefaas init` as commander hands them over (undefined = not given). */
export interface InitFlags {
  name?: string;
  node: string[];
  manager?: string;
  orchestrator?: 'swarm' | 'k3s';
  registry?: string;
  functions?: string;
  replicas?: number;
  maxReplicas?: number;
  gatewayPort?: number;
  gatewayAuth?: boolean;
  output?: string;
  up?: boolean;
}

const NODE_KEYS = ['name', 'address', 'user', 'port', 'role', 'auth', 'key', 'passphrase-env', 'passphrase-file', 'password-env', 'password-file'] as const;

/**
 * `--node name=pi-1,address=10.0.0.11,user=pi,role=manager,auth=key,key=~/.ssh/id_ed25519`
 * (k3sup/Ansible style). Passwords only by reference: password-env=VAR or password-file=PATH.
 */
export function parseNodeFlag(spec: string, index: number): NodeAnswer {
  const where = `--node #${index + 1} (${spec})`;
  const kv = new Map<string, string>();
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`${where}: expected key=value, got "${part}"`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 'password') {
      throw new UsageError(`${where}: passwords never go on the command line; use password-env=VAR or password-file=PATH (mode 0600)`);
    }
    if (!(NODE_KEYS as readonly string[]).includes(key)) throw new UsageError(`${where}: unknown key "${key}"; known: ${NODE_KEYS.join(', ')}`);
    if (kv.has(key)) throw new UsageError(`${where}: ${key} given twice`);
    kv.set(key, value);
  }
  const address = kv.get('address');
  if (address === undefined) throw new UsageError(`${where}: address is missing (address=HOST or an ~/.ssh/config alias)`);
  const name = kv.get('name') ?? '';
  if (!name) throw new UsageError(`${where}: name is missing (name=pi-1)`);
  const port = kv.get('port');
  const role = kv.get('role') ?? 'worker';
  if (role !== 'manager' && role !== 'worker') throw new UsageError(`${where}: role: expected manager or worker, got "${role}"`);
  return {
    name,
    address,
    ...(port !== undefined ? { port: intValue(port, `${where}: port`) } : {}),
    ...(kv.has('user') ? { user: kv.get('user')! } : {}),
    role,
    auth: authOf(kv, where),
  };
}

function authOf(kv: Map<string, string>, where: string): NodeAuth {
  const method = kv.get('auth') ?? (kv.has('key') ? 'key' : kv.has('password-env') || kv.has('password-file') ? 'password' : 'agent');
  const ref = (prefix: 'password' | 'passphrase') => {
    const env = kv.get(`${prefix}-env`);
    const file = kv.get(`${prefix}-file`);
    if (env && file) throw new UsageError(`${where}: give ${prefix}-env or ${prefix}-file, not both`);
    return env ? { env } : file ? { file } : undefined;
  };
  switch (method) {
    case 'agent':
      return { method: 'agent' };
    case 'key': {
      const keyFile = kv.get('key');
      if (!keyFile) throw new UsageError(`${where}: auth=key needs key=PATH (e.g. key=~/.ssh/id_ed25519)`);
      const passphrase = ref('passphrase');
      return passphrase ? { method: 'key', keyFile, passphrase } : { method: 'key', keyFile };
    }
    case 'password': {
      const password = ref('password');
      if (!password) throw new UsageError(`${where}: auth=password needs password-env=VAR or password-file=PATH`);
      return { method: 'password', password };
    }
    default:
      throw new UsageError(`${where}: auth: expected agent, key or password, got "${method}"`);
  }
}

/**
 * `manager`, `manager=5001`, `none`, or `external=HOST:PORT` with optional `,ca=PEM,user=U,password-env=VAR`
 * (or `password-file=PATH`), `,insecure` (turns TLS checks off: only when written).
 */
export function parseRegistryFlag(value: string): RegistryAnswer {
  const [head, ...rest] = value.trim().split(',');
  const [kind, arg] = splitOnce(head!, '=');
  if (kind === 'none' && arg === undefined && !rest.length) return { mode: 'none' };
  if (kind === 'manager' && !rest.length) return { mode: 'manager', port: arg === undefined ? 5000 : intValue(arg, '--registry manager=PORT') };
  if (kind === 'external' && arg) {
    const r: Extract<RegistryAnswer, { mode: 'external' }> = { mode: 'external', address: arg };
    for (const item of rest) {
      const [k, v] = splitOnce(item, '=');
      if (k === 'insecure' && v === undefined) r.insecure = true;
      else if (k === 'ca' && v) r.ca = v;
      else if (k === 'user' && v) r.username = v;
      else if (k === 'password-env' && v) r.password = { env: v };
      else if (k === 'password-file' && v) r.password = { file: v };
      else if (k === 'password') throw new UsageError('--registry: passwords never go on the command line; use password-env=VAR or password-file=PATH (mode 0600)');
      else throw new UsageError(`--registry external: unknown "${item}"; expected ca=PEM, user=NAME, password-env=VAR, password-file=PATH or insecure`);
    }
    return r;
  }
  throw new UsageError(`--registry: expected manager, manager=PORT, external=HOST:PORT[,ca=PEM,user=U,password-env=VAR] or none, got "${value}"`);
}

/** `classify,catdog` (also: resnet50, cats-vs-dogs, both). */
export function parseFunctionsFlag(value: string): FunctionChoice[] {
  const aliases: Record<string, FunctionChoice[]> = {
    classify: ['classify'],
    resnet50: ['classify'],
    catdog: ['catdog'],
    'cats-vs-dogs': ['catdog'],
    both: ['classify', 'catdog'],
  };
  const out: FunctionChoice[] = [];
  for (const item of value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const picked = aliases[item];
    if (!picked) throw new UsageError(`--functions: unknown function "${item}"; expected ${Object.keys(FUNCTIONS).join(', ')} (comma-separated)`);
    for (const f of picked) if (!out.includes(f)) out.push(f);
  }
  if (out.length === 0) throw new UsageError('--functions: give at least one of classify, catdog');
  return out;
}

/** A commander argument parser for whole numbers that names its flag. */
export function intFlag(flag: string, min = 1, max = 65535): (value: string) => number {
  return (value) => {
    const n = intValue(value, flag);
    if (n < min || n > max) throw new UsageError(`${flag}: expected ${min}..${max}, got ${n}`);
    return n;
  };
}

function intValue(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${what}: expected a whole number, got "${text}"`);
  return Number(text);
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)];
}
