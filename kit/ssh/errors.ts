/** SSH-layer errors: each names the node, the address and user, and what to run next. */
export class SshError extends Error {
  override name = 'SshError';
  constructor(
    message: string,
    readonly node: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UnreachableError extends SshError {
  override name = 'UnreachableError';
}

export class AuthError extends SshError {
  override name = 'AuthError';
}

/** Says which host a key belongs to: the node itself, or a jump host on the way to it. */
function whose(node: string, host: string, jump: boolean): string {
  return jump ? `jump host ${host} (on the way to ${node})` : `${node} (${host})`;
}

/** What to run once the user checked the new key out of band: for a jump host, the flag names that host. */
function acceptHint(node: string, host: string, jump: boolean): string {
  return `edgefaas doctor --node ${node} --accept-new-host-key${jump ? ` ${host}` : ''}`;
}

export class HostKeyChangedError extends SshError {
  override name = 'HostKeyChangedError';
  constructor(
    node: string,
    readonly host: string,
    readonly oldFingerprints: string[],
    readonly newFingerprint: string,
    readonly knownHostsFiles: string[],
    readonly jump = false,
  ) {
    super(
      `host key of ${whose(node, host, jump)} changed: refusing to connect.\n` +
        `  known: ${oldFingerprints.join(', ')} (in ${knownHostsFiles.join(', ')})\n` +
        `  now:   ${newFingerprint}\n` +
        `if ${jump ? host : 'the node'} was reinstalled (check the new fingerprint on its console), accept the new key with: ${acceptHint(node, host, jump)}`,
      node,
    );
  }
}

/** The host shows a key of a type not known for it while keys of other types are (OpenSSH asks). */
export class HostKeyNewTypeError extends SshError {
  override name = 'HostKeyNewTypeError';
  constructor(node: string, readonly host: string, type: string, knownTypes: string[], fp: string, files: string[], jump = false) {
    super(
      `${whose(node, host, jump)} offered a ${type} host key (${fp}), but only ${knownTypes.join(', ')} keys are known for it (in ${files.join(', ')}): refusing to connect.\n` +
        `if the host really dropped its ${knownTypes.join('/')} key (check the fingerprint on its console), trust the new key with: ${acceptHint(node, host, jump)}`,
      node,
    );
  }
}

/** A key marked @revoked in a known_hosts file: never accepted, not even when told to. */
export class HostKeyRevokedError extends SshError {
  override name = 'HostKeyRevokedError';
  constructor(node: string, readonly host: string, fp: string, files: string[], jump = false) {
    super(`host key ${fp} of ${whose(node, host, jump)} is marked @revoked in ${files.join(', ')}: refusing to connect; the host must get a new key`, node);
  }
}

/** The user trusts this host through a certificate authority, which the kit's SSH library cannot check. */
export class HostKeyCaOnlyError extends SshError {
  override name = 'HostKeyCaOnlyError';
  constructor(node: string, readonly host: string, fp: string, files: string[], jump = false) {
    super(
      `${whose(node, host, jump)} is trusted through a host certificate authority (@cert-authority in ${files.join(', ')}), and edgefaas cannot check host certificates: ` +
        `refusing to trust its plain key ${fp} on first use; add the host's key to ${files[0]} (ssh-keyscan ${host.replace(/^\[(.*)\]:(\d+)$/, '-p $2 $1')}, after comparing its fingerprint with the host's console)`,
      node,
    );
  }
}

export class SudoError extends SshError {
  override name = 'SudoError';
}

export class CommandTimeoutError extends SshError {
  override name = 'CommandTimeoutError';
}
