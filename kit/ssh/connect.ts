import { promises as fs } from 'node:fs';
import ssh2, { type AnyAuthMethod, type Client as ClientT, type ConnectConfig } from 'ssh2';
import type { Duplex } from 'node:stream';

// ssh2 is CommonJS: its named exports are reached through the default import.
const { Client, utils } = ssh2;
type Client = ClientT;
import { AuthError, HostKeyCaOnlyError, HostKeyChangedError, HostKeyNewTypeError, HostKeyRevokedError, SshError, UnreachableError } from './errors.ts';
import { checkHostKey, fingerprint, forgetHost, hostKeyAlgorithms, hostPattern, keyType, recordHostKey, unknownKeys, type KnownHostsFiles } from './known-hosts.ts';
import type { SshEndpoint } from './target.ts';

export interface Credentials {
  /** ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  keys: Array<{ path: string; passphrase?: string }>;
  password?: string;
  /** Tried, when readable and usable, after the host's own IdentityFiles (as ssh tries ~/.ssh/id_*). */
  defaultKeyFiles?: string[];
  /** Asked when a key file is encrypted and no passphrase was given. */
  askPassphrase?: (keyPath: string) => Promise<string>;
}

export interface HostKeyEvent {
  node: string;
  /** known_hosts name of the host ("[host]:port" off port 22). */
  host: string;
  /** True for a ProxyJump hop on the way to the node. */
  jump: boolean;
  fingerprint: string;
  /** first-use: trusted on first use; replaced: the user accepted a new key; added: another key type the host proved it holds (UpdateHostKeys). */
  kind: 'first-use' | 'replaced' | 'added';
  replaced: string[];
}

/** One line for the user, naming the host the key belongs to. */
export function describeHostKeyEvent(e: HostKeyEvent): string {
  const who = e.jump ? `${e.node}: jump host ${e.host}` : e.node;
  if (e.kind === 'replaced') return `${who}: host key replaced (${e.replaced.join(', ') || 'a key of another type'} -> ${e.fingerprint})`;
  if (e.kind === 'added') return `${who}: also holds host key ${e.fingerprint}, recorded (UpdateHostKeys)`;
  return `${who}: new host key ${e.fingerprint} trusted on first use`;
}

export interface ConnectOptions {
  node: string;
  endpoint: SshEndpoint;
  /** The node's own credentials: offered to the node only, never to a jump host. */
  credentials: Credentials;
  /** For ProxyJump hops: the agent and key files (theirs from ssh config, else the default ones), never the node's password. */
  jumpCredentials?: Credentials;
  knownHosts: KnownHostsFiles;
  timeoutMs: number;
  /**
   * The user said this host was reinstalled: a changed key (or a key of a new type) replaces the
   * kit's entry for it. Asked per hop, so accepting the node's key never accepts a jump host's.
   */
  acceptChangedHostKey?: (endpoint: SshEndpoint, jump: boolean) => boolean;
  /** Told about every key accepted on first use, replaced or added. */
  onHostKey?: (event: HostKeyEvent) => void;
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

async function connectOne(opts: ConnectOptions, endpoint: SshEndpoint, jump: boolean, sock?: Duplex): Promise<Client> {
  const { node } = opts;
  const credentials = jump ? (opts.jumpCredentials ?? { keys: [] }) : opts.credentials;
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  const methods = await authMethods(node, endpoint.user, credentials);
  // IdentityFiles from ssh config are tried after the configured ones; unusable ones are skipped, as ssh does.
  for (const path of [...endpoint.identityFiles, ...(credentials.defaultKeyFiles ?? [])]) {
    if (credentials.keys.some((k) => k.path === path)) continue;
    const key = await loadKey(node, path, undefined, credentials.askPassphrase).catch(() => undefined);
    if (key) methods.push({ type: 'publickey', username: endpoint.user, key });
  }
  if (methods.length === 0) {
    throw new AuthError(
      jump
        ? `${node}: no way to authenticate to jump host ${where}: no agent (SSH_AUTH_SOCK unset) and no usable IdentityFile for it in ~/.ssh/config (the node's own password is never offered to a jump host)`
        : `${node}: no way to authenticate as ${where}: no agent (SSH_AUTH_SOCK unset), key or password; set auth in cluster.yaml`,
      node,
    );
  }
  const pattern = hostPattern(endpoint.host, endpoint.port);
  const hash = !!endpoint.hashKnownHosts;
  let hostKeyError: SshError | undefined;
  let verifiedKnown = false;
  const client = new Client();
  // UpdateHostKeys, as OpenSSH does it: once the host was verified by a key already known, the
  // other keys it proved it holds (ssh2 checks hostkeys-prove-00) are recorded in the kit's file.
  client.on('hostkeys', (keys: Array<{ getPublicSSH(): Buffer }>) => {
    if (!verifiedKnown) return;
    void (async () => {
      for (const blob of await unknownKeys(opts.knownHosts, pattern, keys.map((k) => k.getPublicSSH()))) {
        await recordHostKey(opts.knownHosts.own, pattern, blob, { hash });
        opts.onHostKey?.({ node, host: pattern, jump, fingerprint: fingerprint(blob), kind: 'added', replaced: [] });
      }
    })().catch(() => undefined);
  });
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    sock,
    readyTimeout: opts.timeoutMs,
    keepaliveInterval: 10_000,
    authHandler: methods,
    algorithms: { serverHostKey: (await hostKeyAlgorithms(opts.knownHosts, pattern)) as never },
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      checkHostKey(opts.knownHosts, pattern, key)
        .then(async (v) => {
          const fp = fingerprint(key);
          if (v.status === 'known') {
            verifiedKnown = true;
            return verify(true);
          }
          if (v.status === 'revoked') hostKeyError = new HostKeyRevokedError(node, pattern, fp, v.files, jump);
          else if (v.status === 'ca-only') hostKeyError = new HostKeyCaOnlyError(node, pattern, fp, v.files, jump);
          else if (v.status === 'new' || opts.acceptChangedHostKey?.(endpoint, jump)) {
            const replaced = v.status === 'changed' ? v.old : [];
            if (v.status === 'changed') await forgetHost(opts.knownHosts.own, pattern);
            await recordHostKey(opts.knownHosts.own, pattern, key, { hash });
            opts.onHostKey?.({ node, host: pattern, jump, fingerprint: fp, kind: v.status === 'new' ? 'first-use' : 'replaced', replaced });
            return verify(true);
          } else if (v.status === 'new-type') hostKeyError = new HostKeyNewTypeError(node, pattern, keyType(key), v.knownTypes, fp, v.files, jump);
          else hostKeyError = new HostKeyChangedError(node, pattern, v.old, fp, v.files, jump);
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
            jump
              ? `${node}: authentication failed for jump host ${where} (tried: ${describeMethods(credentials)}); it gets the agent and its own IdentityFile from ~/.ssh/config, never the node's password`
              : `${node}: authentication failed for ${where} (tried: ${describeMethods(credentials)}); check the user, key or password in cluster.yaml, then run: edgefaas doctor --node ${node}`,
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
      const client = await connectOne(opts, ep, i < chain.length - 1, sock);
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
