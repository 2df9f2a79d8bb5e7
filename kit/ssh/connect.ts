import { promises as fs } from 'node:fs';
import ssh2, { type AnyAuthMethod, type Client as ClientT, type ConnectConfig } from 'ssh2';
import type { Duplex } from 'node:stream';

// ssh2 is CommonJS: its named exports are reached through the default import.
const { Client, utils } = ssh2;
type Client = ClientT;
import { AuthError, HostKeyChangedError, SshError, UnreachableError } from './errors.ts';
import { checkHostKey, fingerprint, forgetHost, hostPattern, recordHostKey, type KnownHostsFiles } from './known-hosts.ts';
import type { SshEndpoint } from './target.ts';

export interface Credentials {
  /** ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  keys: Array<{ path: string; passphrase?: string }>;
  password?: string;
  /** Asked when a key file is encrypted and no passphrase was given. */
  askPassphrase?: (keyPath: string) => Promise<string>;
}

export interface ConnectOptions {
  node: string;
  endpoint: SshEndpoint;
  credentials: Credentials;
  knownHosts: KnownHostsFiles;
  timeoutMs: number;
  /** The user said the node was reinstalled: a changed key replaces the kit's entry (never implied). */
  acceptChangedHostKey?: boolean;
  /** Told about every key accepted on first use or replaced. */
  onHostKey?: (event: { node: string; host: string; fingerprint: string; replaced: string[] }) => void;
}

type ParsedKey = Exclude<ReturnType<typeof utils.parseKey>, Error | Array<unknown>>;

async function loadKey(node: string, path: string, passphrase: string | undefined, ask?: (p: string) => Promise<string>): Promise<ParsedKey> {
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch {
    throw new AuthError(`${node}: key file ${path} cannot be read; check auth.keyFile in cluster.yaml`, node);
  }
  let parsed = utils.parseKey(data, passphrase);
  if (parsed instanceof Error && /passphrase/i.test(parsed.message) && passphrase === undefined && ask) {
    parsed = utils.parseKey(data, await ask(path));
  }
  if (parsed instanceof Error) {
    const hint = /passphrase|decrypt|bad/i.test(parsed.message) ? 'wrong or missing passphrase' : parsed.message;
    throw new AuthError(`${node}: cannot use key ${path}: ${hint}`, node);
  }
  return (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey;
}

async function authMethods(node: string, user: string, creds: Credentials): Promise<AnyAuthMethod[]> {
  const methods: AnyAuthMethod[] = [];
  for (const k of creds.keys) {
    methods.push({ type: 'publickey', username: user, key: await loadKey(node, k.path, k.passphrase, creds.askPassphrase) });
  }
  if (creds.agent) methods.push({ type: 'agent', username: user, agent: creds.agent });
  if (creds.password !== undefined) {
    methods.push({ type: 'password', username: user, password: creds.password });
    const password = creds.password;
    methods.push({
      type: 'keyboard-interactive',
      username: user,
      prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => password)),
    });
  }
  return methods;
}

function describeMethods(creds: Credentials): string {
  const m = [...creds.keys.map((k) => `key ${k.path}`), ...(creds.agent ? ['agent'] : []), ...(creds.password !== undefined ? ['password'] : [])];
  return m.length ? m.join(', ') : 'none';
}

const unreachableCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);

async function connectOne(opts: ConnectOptions, endpoint: SshEndpoint, sock?: Duplex): Promise<Client> {
  const { node, credentials } = opts;
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  const methods = await authMethods(node, endpoint.user, credentials);
  // IdentityFiles from ssh config are tried after the configured ones; unusable ones are skipped, as ssh does.
  for (const path of endpoint.identityFiles) {
    if (credentials.keys.some((k) => k.path === path)) continue;
    const key = await loadKey(node, path, undefined, credentials.askPassphrase).catch(() => undefined);
    if (key) methods.push({ type: 'publickey', username: endpoint.user, key });
  }
  if (methods.length === 0) {
    throw new AuthError(`${node}: no way to authenticate as ${where}: no agent (SSH_AUTH_SOCK unset), key or password; set auth in cluster.yaml`, node);
  }
  const pattern = hostPattern(endpoint.host, endpoint.port);
  let hostKeyError: SshError | undefined;
  const client = new Client();
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    sock,
    readyTimeout: opts.timeoutMs,
    keepaliveInterval: 10_000,
    authHandler: methods,
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      checkHostKey(opts.knownHosts, pattern, key)
        .then(async (v) => {
          if (v.status === 'known') return verify(true);
          if (v.status === 'new' || opts.acceptChangedHostKey) {
            const replaced = v.status === 'changed' ? v.old : [];
            if (v.status === 'changed') await forgetHost(opts.knownHosts.own, pattern);
            await recordHostKey(opts.knownHosts.own, pattern, key);
            opts.onHostKey?.({ node, host: pattern, fingerprint: fingerprint(key), replaced });
            return verify(true);
          }
          hostKeyError = new HostKeyChangedError(node, pattern, v.old, fingerprint(key), v.files);
          verify(false);
        })
        .catch((e) => {
          hostKeyError = new SshError(`${node}: cannot check host key of ${pattern}: ${(e as Error).message}`, node, { cause: e });
          verify(false);
        });
    },
  };
  return await new Promise<Client>((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('error', (err: Error & { level?: string; code?: string }) => {
      client.end();
      if (hostKeyError) return reject(hostKeyError);
      if (err.level === 'client-authentication') {
        return reject(
          new AuthError(
            `${node}: authentication failed for ${where} (tried: ${describeMethods(credentials)}); check the user, key or password in cluster.yaml, then run: edgefaas doctor --node ${node}`,
            node,
            { cause: err },
          ),
        );
      }
      if (err.level === 'client-timeout' || (err.code && unreachableCodes.has(err.code))) {
        return reject(
          new UnreachableError(
            `${node}: cannot reach ${where}: ${err.code ?? 'timed out'}; check the node is on and its address in cluster.yaml, then run: edgefaas doctor --node ${node}`,
            node,
            { cause: err },
          ),
        );
      }
      reject(new SshError(`${node}: ssh to ${where} failed: ${err.message}`, node, { cause: err }));
    });
    client.connect(config);
  });
}

/** Connects to the endpoint, through its ProxyJump hops if any. The caller ends the returned clients (last is the target). */
export async function connect(opts: ConnectOptions): Promise<Client[]> {
  const chain: SshEndpoint[] = [];
  for (let e: SshEndpoint | undefined = opts.endpoint; e; e = e.jump) chain.unshift(e);
  const clients: Client[] = [];
  try {
    let sock: Duplex | undefined;
    for (const [i, ep] of chain.entries()) {
      const client = await connectOne(opts, ep, sock);
      clients.push(client);
      const next = chain[i + 1];
      if (next) {
        sock = await new Promise<Duplex>((resolve, reject) =>
          client.forwardOut('127.0.0.1', 0, next.host, next.port, (err, stream) =>
            err
              ? reject(new UnreachableError(`${opts.node}: jump host ${ep.host} cannot reach ${next.host}:${next.port}: ${err.message}`, opts.node))
              : resolve(stream),
          ),
        );
      }
    }
    return clients;
  } catch (e) {
    for (const c of clients) c.end();
    throw e;
  }
}
