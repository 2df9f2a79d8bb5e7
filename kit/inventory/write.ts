import { promises as fs } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { validateCluster } from './load.ts';
import type { ClusterInput } from './schema.ts';

const HEADER = `# edgefaas cluster description (written by edgefaas init; edit freely).
# Check it with: edgefaas doctor   See what up would do: edgefaas up --dry-run
# Passwords are never stored here, only where to read them (env var or 0600 file).
`;

/** The text init writes: validated first, so a bad answer set never reaches the disk. */
export function renderCluster(input: ClusterInput, source: string): string {
  validateCluster(input, source);
  return HEADER + stringify(input, { lineWidth: 0 });
}

export interface WriteResult {
  path: string;
  /** 'unchanged' when the file already held exactly this text. */
  status: 'created' | 'replaced' | 'unchanged';
  /** Where the previous contents went, when replaced. */
  backup?: string;
}

/** Writes cluster.yaml atomically (temp file + rename); a replaced file is kept as `<name>.bak`. */
export async function writeCluster(path: string, input: ClusterInput): Promise<WriteResult> {
  const text = renderCluster(input, path);
  const previous = await fs.readFile(path, 'utf8').catch(() => undefined);
  if (previous === text) return { path, status: 'unchanged' };
  await fs.mkdir(dirname(path) || '.', { recursive: true });
  let backup: string | undefined;
  if (previous !== undefined) {
    backup = `${path}.bak`;
    await atomicWrite(backup, previous, 0o644);
  }
  await atomicWrite(path, text, 0o644);
  return { path, status: previous === undefined ? 'created' : 'replaced', backup };
}

/** Writes through a fresh temporary file beside `path`, then renames it: readers see the old file or the new one, never half. */
export async function atomicWrite(path: string, text: string, mode?: number): Promise<void> {
  const tmp = join(dirname(path) || '.', `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, text, { mode, flag: 'wx' });
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
