import { Writable } from 'node:stream';
import { createContext, type CliContext, type GlobalOptions } from './context.ts';

/** A context whose stdout/stderr are captured (not a TTY), for tests of CLI plumbing. */
export function captureContext(opts: Partial<GlobalOptions> = {}, env: NodeJS.ProcessEnv = {}): { ctx: CliContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
  const stderr = new Writable({ write: (c, _e, cb) => ((err += c.toString()), cb()) });
  const ctx = createContext({ config: 'cluster.yaml', yes: false, dryRun: false, json: false, verbose: false, ...opts }, { stdout, stderr, env });
  return { ctx, out: () => out, err: () => err };
}
