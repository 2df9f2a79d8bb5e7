/**
 * kit/ssh: every command the kit sends to a node goes through here (ssh2).
 *
 *   const pool = new SshPool(poolOptionsFromCluster(spec, { log }));   // one connection per node, reused
 *   const runner = await pool.runner(nodeSpec);                          // Runner (kit/plan/types.ts)
 *   await runner.exec('uname -m');                                        // { stdout, stderr, code, ms }; never throws on exit code
 *   await runner.exec('apt-get install -y docker.io', { sudo: true, timeoutMs: 600_000, onStdout });
 *   await runner.upload(Buffer.from('...'), '/etc/docker/daemon.json', 0o644);   // SFTP; sudo fallback
 *   const results = await forEachNode(spec.nodes, spec.ssh.concurrency, async (n) => ...); // per-node ok/error
 *   await pool.closeAll();
 *
 * Nodes are reached by address or ~/.ssh/config alias (HostName, User, Port, IdentityFile, ProxyJump),
 * with agent, key file (passphrase from cluster.yaml or asked) or password; a ProxyJump hop gets only
 * the agent and its own key files, never the node's credentials. Host keys as OpenSSH checks them
 * (known-hosts.ts): trust on first use into $EDGEFAAS_HOME/known_hosts (also reading
 * ~/.ssh/known_hosts), algorithms ordered by the key types known, other proven keys recorded
 * (UpdateHostKeys); changed, new-type, @revoked and CA-only hosts are refused, each hop on its own. sudo passwords go on stdin (sudo -S); SudoError says "no sudo", "not allowed",
 * "wrong password" apart. Errors name the node and user@host:port. Every secret passes through
 * pool.redactor before any log, error or output.
 */
export { SshPool, poolOptionsFromCluster, type SshPoolOptions } from './pool.ts';
export { describeHostKeyEvent, type HostKeyEvent } from './connect.ts';
export { SshRunner } from './runner.ts';
export { forEachNode, type NodeOutcome } from './parallel.ts';
export { StepFailedError } from './steps.ts';
export { Redactor } from './redact.ts';
export { SshError, UnreachableError, AuthError, HostKeyChangedError, HostKeyNewTypeError, HostKeyRevokedError, HostKeyCaOnlyError, SudoError, CommandTimeoutError } from './errors.ts';
export { forgetHost, fingerprint, hostPattern } from './known-hosts.ts';
export { edgefaasHome } from './paths.ts';
export { shellQuote } from './sudo.ts';
