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

export class HostKeyChangedError extends SshError {
  override name = 'HostKeyChangedError';
  constructor(
    node: string,
    readonly host: string,
    readonly oldFingerprints: string[],
    readonly newFingerprint: string,
    readonly knownHostsFiles: string[],
  ) {
    super(
      `host key of ${node} (${host}) changed: refusing to connect.\n` +
        `  known: ${oldFingerprints.join(', ')} (in ${knownHostsFiles.join(', ')})\n` +
        `  now:   ${newFingerprint}\n` +
        `if the node was reinstalled, accept the new key with: edgefaas doctor --node ${node} --accept-new-host-key`,
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
