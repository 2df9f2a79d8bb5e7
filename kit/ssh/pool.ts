import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type SSHConfig from 'ssh-config';
import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import { resolveSecret } from '../inventory/secrets.ts';
import { connect, type Credentials, type HostKeyEvent } from './connect.ts';
import { AuthError } from './errors.ts';
import { edgefaasHome, expandTilde, userHome } from './paths.ts';
import { Redactor } from './redact.ts';
import { SshRunner } from './runner.ts';
import { endpointForNode, readSshConfig } from './target.ts';

export interface SshPoolOptions {
  /** Default: ~/.edgefaas/known_hosts (EDGEFAAS_HOME), plus ~/.ssh/known_hosts read-only. */
  knownHostsFile?: string;
  /** ssh_config for aliases; default ~/.ssh/config. */
  sshConfigFile?: string;
  timeoutMs?: number;
  /** Per-command default timeout. */
  commandTimeoutMs?: number;
  redactor?: Redactor;
  env?: NodeJS.ProcessEnv;
  askPassphrase?: (keyPath: string) => Promise<string>;
  log?: (line: string) => void;
  /** Nodes whose changed host key the user accepted (edgefaas doctor --node X --accept-new-host-key): the node's own key only. */
  acceptChangedHostKey?: string[];
  /** Jump hosts (ssh config alias, host name or address) whose changed key the user accepted (--accept-new-host-key HOST). */
  acceptChangedJumpHostKey?: string[];
  onHostKey?: (event: HostKeyEvent) => void;
}

export function poolOptionsFromCluster(spec: ClusterSpec, extra: SshPoolOptions = {}): SshPoolOptions {
  return {
    knownHostsFile: spec.ssh.knownHosts,
    sshConfigFile: spec.ssh.config,
    timeoutMs: spec.ssh.timeoutSeconds * 1000,
    ...extra,
  };
}

/** One connection per node, opened on first use and reused until closeAll(). */
export class SshPool {
  readonly redactor: Redactor;
  private readonly env: NodeJS.ProcessEnv;
  private readonly runners = new Map<string, Promise<SshRunner>>();
  private sshConfig?: Promise<SSHConfig | undefined>;
  private jumpCreds?: Promise<Credentials>;

  constructor(private readonly o: SshPoolOptions = {}) {
    this.redactor = o.redactor ?? new Redactor();
    this.env = o.env ?? process.env;
  }

  get knownHostsFile(): string {
    return this.o.knownHostsFile ? expandTilde(this.o.knownHostsFile, this.env) : join(edgefaasHome(this.env), 'known_hosts');
  }

  private async credentials(node: NodeSpec): Promise<{ creds: Credentials; sudoPassword?: string }> {
    const creds: Credentials = { keys: [], askPassphrase: this.o.askPassphrase };
    const auth = node.auth;
    if (auth.method === 'agent') {
      creds.agent = this.env.SSH_AUTH_SOCK;
      if (!creds.agent) {
        throw new AuthError(`${node.name}: auth is agent but SSH_AUTH_SOCK is not set; start ssh-agent and ssh-add your key, or set auth: key`, node.name);
      }
    } else if (auth.method === 'key') {
      const passphrase = auth.passphrase ? await resolveSecret(auth.passphrase, this.env) : undefined;
      this.redactor.add(passphrase);
      creds.keys.push({ path: expandTilde(auth.keyFile, this.env), passphrase });
    } else {
      creds.password = await resolveSecret(auth.password, this.env);
      this.redactor.add(creds.password);
    }
    // A Pi user's login password is its sudo password unless told otherwise.
    const sudoPassword = node.sudoPassword ? await resolveSecret(node.sudoPassword, this.env) : creds.password;
    this.redactor.add(sudoPassword);
    return { creds, sudoPassword };
  }

  /**
   * What a ProxyJump hop is offered, as ssh offers it: the agent, then the default key files (its
   * own IdentityFiles from ssh config are added per hop). Never the node's key, password or sudo password.
   */
  private async readJumpCredentials(): Promise<Credentials> {
    const defaults: string[] = [];
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const path = join(userHome(this.env), '.ssh', name);
      if (await access(path).then(() => true, () => false)) defaults.push(path);
    }
    return { agent: this.env.SSH_AUTH_SOCK, keys: [], defaultKeyFiles: defaults, askPassphrase: this.o.askPassphrase };
  }

  private async open(node: NodeSpec): Promise<SshRunner> {
    // Read once per pool, not once per node.
    this.sshConfig ??= readSshConfig(this.o.sshConfigFile ?? join(userHome(this.env), '.ssh', 'config'), this.env);
    const config = await this.sshConfig;
    const endpoint = endpointForNode(node, config, this.env);
    const { creds, sudoPassword } = await this.credentials(node);
    const clients = await connect({
      node: node.name,
      endpoint,
      credentials: creds,
      knownHosts: { own: this.knownHostsFile, extra: [join(userHome(this.env), '.ssh', 'known_hosts')] },
      timeoutMs: this.o.timeoutMs ?? 15_000,
      // The same for every node: looked up once per pool.
      jumpCredentials: await (this.jumpCreds ??= this.readJumpCredentials()),
      acceptChangedHostKey: (ep, jump) =>
        jump
          ? [ep.alias, ep.host, `${ep.host}:${ep.port}`].some((h) => h !== undefined && !!this.o.acceptChangedJumpHostKey?.includes(h))
          : !!this.o.acceptChangedHostKey?.includes(node.name),
      onHostKey: this.o.onHostKey,
    });
    return new SshRunner({
      node: node.name,
      where: `${endpoint.user}@${endpoint.host}:${endpoint.port}`,
      user: endpoint.user,
      clients,
      sudoPassword,
      redactor: this.redactor,
      defaultTimeoutMs: this.o.commandTimeoutMs ?? 300_000,
      log: this.o.log,
    });
  }

  /** The node's runner; a failed connection is not cached, so a retry reconnects. */
  runner(node: NodeSpec): Promise<SshRunner> {
    let r = this.runners.get(node.name);
    if (!r) {
      r = this.open(node);
      this.runners.set(node.name, r);
      r.catch(() => this.runners.delete(node.name));
    }
    return r;
  }

  /** A new connection to the node (after it rebooted): the old one is closed and forgotten. */
  async reconnect(node: NodeSpec): Promise<SshRunner> {
    const old = this.runners.get(node.name);
    this.runners.delete(node.name);
    await old?.then((x) => x.close()).catch(() => undefined);
    return this.runner(node);
  }

  async closeAll(): Promise<void> {
    const all = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(all.map((r) => r.then((x) => x.close()).catch(() => undefined)));
  }
}
