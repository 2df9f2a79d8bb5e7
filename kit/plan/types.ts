/**
 * Remote work is planned before it runs: pure builders in nodes/, swarm/, k3s/, openfaas/ turn
 * cluster.yaml into Steps; a runner executes them. `--dry-run` prints the plan; tests compare it.
 */
export interface Step {
  /** What a user reads in the progress display, e.g. "install docker.io". */
  title: string;
  /** One POSIX sh command line. Secrets never appear here: they go in `stdin`. */
  command: string;
  sudo?: boolean;
  /** Data for the command's stdin (passwords, tokens). Redacted in every log. */
  stdin?: string;
  timeoutMs?: number;
  /** Read-only steps may run under --dry-run. */
  readOnly?: boolean;
}

export interface NodePlan {
  node: string;
  steps: Step[];
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
}

export interface ExecOptions {
  sudo?: boolean;
  stdin?: string;
  timeoutMs?: number;
  /** A probe that changes nothing: the only kind of command that runs under --dry-run. */
  readOnly?: boolean;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

/** What runs a command on one node: SSH on real hosts and lab nodes, a child process locally. */
export interface Runner {
  readonly node: string;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  upload(localPathOrData: string | Buffer, remotePath: string, mode?: number): Promise<void>;
  close(): Promise<void>;
}
