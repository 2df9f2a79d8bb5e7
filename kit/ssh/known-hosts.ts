import { promises as fs } from 'node:fs';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/**
 * Host keys checked as OpenSSH checks them, in the kit's own known_hosts (OpenSSH format) and the
 * user's ~/.ssh/known_hosts (read only):
 * - the first file holding a key of the presented key's type for the host decides: the same key
 *   is known, another key of that type is a changed key (so a key the user accepted in the kit's
 *   file wins over an old one in theirs);
 * - a key of a type not known for a host that has keys of other types is a "new key type"
 *   (OpenSSH asks; the kit refuses unless told), never "changed";
 * - `@revoked` keys are refused wherever they appear; a host covered only by `@cert-authority`
 *   is never trusted on first use;
 * - host fields may be hashed (|1|salt|hash), lists, wildcards (* ?) and negations (!).
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
  | { status: 'changed'; old: string[]; files: string[] }
  | { status: 'new-type'; knownTypes: string[]; files: string[] }
  | { status: 'revoked'; files: string[] }
  | { status: 'ca-only'; files: string[] };

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
  marker?: 'revoked' | 'cert-authority';
  hosts: string;
  type: string;
  blob: Buffer;
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: Entry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue; // an unknown marker: ignored, as OpenSSH does
    }
    const [hosts, type, b64] = fields;
    if (!hosts || !type || !b64) continue;
    out.push({ marker, hosts, type, blob: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** OpenSSH's match_pattern: * and ? wildcards, case-insensitive. */
function wildcard(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** OpenSSH's match_hostname: any positive pattern matches and no negated one does. */
function matches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let positive = false;
  for (const p of hosts.split(',')) {
    if (p.startsWith('!')) {
      if (wildcard(p.slice(1), name)) return false;
    } else if (wildcard(p, name)) positive = true;
  }
  return positive;
}

/** ssh-rsa keys sign with rsa-sha2-512/256 too: one family for "same type". */
function family(type: string): string {
  return type.startsWith('rsa-sha2-') ? 'ssh-rsa' : type;
}

async function readEntries(file: string, name: string): Promise<Entry[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return [];
  }
  return parse(text).filter((e) => matches(e.hosts, name));
}

/** The entries for `name` in each file, the kit's own first. Read afresh each time: another connection may have just recorded a key. */
function entriesByFile(files: KnownHostsFiles, name: string): Promise<Array<{ file: string; entries: Entry[] }>> {
  return Promise.all([files.own, ...files.extra].map(async (file) => ({ file, entries: await readEntries(file, name) })));
}

async function allEntries(files: KnownHostsFiles, name: string): Promise<Entry[]> {
  return (await entriesByFile(files, name)).flatMap((f) => f.entries);
}

export async function checkHostKey(files: KnownHostsFiles, name: string, keyBlob: Buffer): Promise<HostKeyVerdict> {
  const byFile = await entriesByFile(files, name);
  const revokedIn = byFile.filter((f) => f.entries.some((e) => e.marker === 'revoked' && e.blob.equals(keyBlob))).map((f) => f.file);
  if (revokedIn.length) return { status: 'revoked', files: revokedIn };
  const type = family(keyType(keyBlob));
  for (const { file, entries } of byFile) {
    const sameType = entries.filter((e) => !e.marker && family(e.type) === type);
    if (sameType.length === 0) continue;
    if (sameType.some((e) => e.blob.equals(keyBlob))) return { status: 'known' };
    return { status: 'changed', old: sameType.map((e) => fingerprint(e.blob)), files: [file] };
  }
  const others = byFile.filter((f) => f.entries.some((e) => !e.marker));
  if (others.length) {
    const knownTypes = [...new Set(others.flatMap((f) => f.entries.filter((e) => !e.marker).map((e) => e.type)))];
    return { status: 'new-type', knownTypes, files: others.map((f) => f.file) };
  }
  const cas = byFile.filter((f) => f.entries.some((e) => e.marker === 'cert-authority')).map((f) => f.file);
  if (cas.length) return { status: 'ca-only', files: cas };
  return { status: 'new' };
}

/** The host key algorithms ssh2 knows, in its preference order. */
const ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * As OpenSSH orders HostKeyAlgorithms: the algorithms of the key types already known for the host
 * first, so a host known by its ECDSA key is asked for that key, not for one it has never shown.
 */
export async function hostKeyAlgorithms(files: KnownHostsFiles, name: string): Promise<string[]> {
  const entries = (await allEntries(files, name)).filter((e) => !e.marker);
  const known = new Set(entries.map((e) => family(e.type)));
  const first = ALGORITHMS.filter((a) => known.has(family(a)));
  return [...first, ...ALGORITHMS.filter((a) => !first.includes(a))];
}

/** Which of the host's keys no file knows yet (for UpdateHostKeys). */
export async function unknownKeys(files: KnownHostsFiles, name: string, keys: Buffer[]): Promise<Buffer[]> {
  const entries = await allEntries(files, name);
  if (entries.some((e) => e.marker === 'revoked' && keys.some((k) => k.equals(e.blob)))) return [];
  return keys.filter((k) => !entries.some((e) => e.blob.equals(k)));
}

/** A hashed host field, as `ssh-keygen -H` / HashKnownHosts yes write it. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

export async function recordHostKey(file: string, name: string, keyBlob: Buffer, opts: { hash?: boolean } = {}): Promise<void> {
  await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const host = opts.hash ? hashHostName(name) : name;
  await fs.appendFile(file, `${host} ${keyType(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}

/** Drops the kit's entries for a host (markers kept), so its next key is trusted as new (after the user said so). */
export async function forgetHost(file: string, name: string): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return 0;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const keep = lines.filter((l) => {
    const t = l.trim();
    return t.startsWith('#') || t.startsWith('@') || !matches(t.split(/\s+/)[0] ?? '', name);
  });
  await fs.writeFile(file, keep.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  return lines.length - keep.length;
}
