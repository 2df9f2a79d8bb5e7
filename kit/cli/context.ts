import type { Command } from 'commander';
import { DEFAULT_CLUSTER_FILE } from '../inventory/load.ts';

/** The root command's options, seen by every verb through cmd.optsWithGlobals(). */
export interface GlobalOptions {
  config: string;
  yes: boolean;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
}

export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface CliContext {
  opts: GlobalOptions;
  env: NodeJS.ProcessEnv;
  stdout: Stream;
  stderr: Stream;
  /** True when stdout is a terminal and not under --json: spinners and prompts allowed. */
  interactive: boolean;
  /** NO_COLOR, TERM=dumb and non-TTY output turn colour off. */
  color: boolean;
  /** Human progress text: stdout normally, stderr under --json so stdout stays parseable. */
  info(line: string): void;
  /** Only under --verbose or EDGEFAAS_DEBUG=1, on stderr. */
  debug(line: string): void;
  warn(line: string): void;
  /** The command's result: JSON on stdout under --json, else the human text (if any). */
  result(value: unknown, human?: string): void;
}

export function readGlobalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Partial<GlobalOptions>;
  return {
    config: o.config ?? DEFAULT_CLUSTER_FILE,
    yes: Boolean(o.yes),
    dryRun: Boolean(o.dryRun),
    json: Boolean(o.json),
    verbose: Boolean(o.verbose),
  };
}

export function useColor(stream: Stream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

export function createContext(
  opts: GlobalOptions,
  io: { stdout?: Stream; stderr?: Stream; env?: NodeJS.ProcessEnv } = {},
): CliContext {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const verbose = opts.verbose || env.EDGEFAAS_DEBUG === '1';
  const line = (s: Stream, text: string) => s.write(text.endsWith('\n') ? text : `${text}\n`);
  return {
    opts: { ...opts, verbose },
    env,
    stdout,
    stderr,
    interactive: Boolean(stdout.isTTY) && !opts.json,
    color: useColor(opts.json ? stderr : stdout, env),
    info: (text) => line(opts.json ? stderr : stdout, text),
    debug: (text) => {
      if (verbose) line(stderr, text);
    },
    warn: (text) => line(stderr, text),
    result: (value, human) => {
      if (opts.json) line(stdout, JSON.stringify(value, null, 2));
      else if (human !== undefined) line(stdout, human);
    },
  };
}

/** For a verb's action: `const ctx = contextOf(cmd)` (commander passes the command last). */
export function contextOf(cmd: Command): CliContext {
  return createContext(readGlobalOptions(cmd));
}
