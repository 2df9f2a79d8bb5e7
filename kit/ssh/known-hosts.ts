import { promises as fs } from 'node:fs';
import { createHash, createHmac } from 'node:crypto';
import { dirname } from 'node:path';

/**
 * Trust on first use, in the kit's own known_hosts (OpenSSH format), also reading the user's
 * ~/.ssh/known_hosts. The kit's file decides when it knows the host (so an accepted new key wins);
 * otherwise the user's file; otherwise the key is recorded. A changed key is never accepted here.
 */
export interface KnownHostsFiles {
  /** The kit's file: read and written. */
  own: string;
  /** Read only (e.g. ~/.ssh/known_hosts). */
  extra: string[];
}

export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'new' }
  | { status: 'changed'; old: string[]; files: string[] };

/** "[host]:port" for non-22 ports, as OpenSSH writes it. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first length-prefixed string inside the wire-format key blob. */
export function keyType(keyBlob: Buffer): string {
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

interface Entry {
  hosts: string;
  type: string;
  blob: Buffer;
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, b64] = line.split(/\s+/);
    if (!hosts || !type || !b64) continue;
    out.push({ hosts, type, blob: Buffer.from(b64, 'base64') });
  }
  return out;
}

function matches(hosts: string, pattern: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(pattern).digest('base64') === hash;
  }
  return hosts.split(',').includes(pattern);
}

async function readEntries(file: string, pattern: string): Promise<Entry[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  return parse(text).filter((e) => matches(e.hosts, pattern));
}

export async function checkHostKey(files: KnownHostsFiles, pattern: string, keyBlob: Buffer): Promise<HostKeyVerdict> {
  for (const file of [files.own, ...files.extra]) {
    const entries = await readEntries(file, pattern);
    if (entries.length === 0) continue;
    if (entries.some((e) => e.blob.equals(keyBlob))) return { status: 'known' };
    // Show the key of the same type the host now presents, as ssh does; all of them if none matches.
    const sameType = entries.filter((e) => e.type === keyType(keyBlob));
    return { status: 'changed', old: (sameType.length ? sameType : entries).map((e) => fingerprint(e.blob)), files: [file] };
  }
  return { status: 'new' };
}

export async function recordHostKey(file: string, pattern: string, keyBlob: Buffer): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await fs.appendFile(file, `${pattern} ${keyType(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}

/** Drops the kit's entries for a host, so its next key is trusted as new (after the user said so). */
export async function forgetHost(file: string, pattern: string): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return 0;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const keep = lines.filter((l) => !matches(l.trim().split(/\s+/)[0] ?? '', pattern));
  await fs.writeFile(file, keep.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  return lines.length - keep.length;
}
