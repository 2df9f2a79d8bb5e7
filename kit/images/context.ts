import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pack, type Pack } from 'tar-stream';

/** Every entry gets this mtime, owner root and a normalised mode, so equal inputs give equal layers. */
export const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

export interface ContextPart {
  /** A directory on this machine. */
  from: string;
  /** Its path inside the build context. */
  to: string;
  /** Leave out files this returns true for (path relative to `from`). */
  skip?: (rel: string) => boolean;
}

export interface ContextSpec {
  dockerfile: string;
  parts: ContextPart[];
  /** Small generated files: context path -> content. */
  files?: Record<string, string | Buffer>;
}

/** Builds a docker build context as a deterministic tar stream (sorted, fixed mtimes, uid/gid 0). */
export function contextTar(spec: ContextSpec): Pack {
  const tar = pack();
  void (async () => {
    try {
      await addFile(tar, 'Dockerfile', Buffer.from(spec.dockerfile), 0o644);
      const parents = new Set<string>();
      for (const name of [...spec.parts.map((p) => p.to), ...Object.keys(spec.files ?? {})]) {
        const segs = name.split('/').filter(Boolean);
        for (let i = 1; i < segs.length; i++) parents.add(segs.slice(0, i).join('/'));
      }
      for (const dir of [...parents].sort()) await entry(tar, { name: `${dir}/`, type: 'directory', mode: 0o755 });
      for (const [name, content] of Object.entries(spec.files ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        await addFile(tar, name, Buffer.isBuffer(content) ? content : Buffer.from(content), 0o644);
      }
      for (const part of spec.parts) await addTree(tar, part, '');
      tar.finalize();
    } catch (e) {
      tar.destroy(e as Error);
    }
  })();
  return tar;
}

async function addTree(tar: Pack, part: ContextPart, rel: string): Promise<void> {
  const dir = join(part.from, rel);
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await entry(tar, { name: join(part.to, rel) + '/', type: 'directory', mode: 0o755 });
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (part.skip?.(r)) continue;
    const abs = join(part.from, r);
    const name = join(part.to, r);
    if (e.isDirectory()) await addTree(tar, part, r);
    else if (e.isSymbolicLink()) await entry(tar, { name, type: 'symlink', linkname: await fs.readlink(abs), mode: 0o777 });
    else if (e.isFile()) {
      const st = await fs.stat(abs);
      await streamFile(tar, name, abs, st.size, st.mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

function header(h: { name: string; type: 'file' | 'directory' | 'symlink'; mode: number; size?: number; linkname?: string }) {
  return { ...h, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '' };
}

async function entry(tar: Pack, h: Parameters<typeof header>[0]): Promise<void> {
  await new Promise<void>((resolve, reject) => tar.entry(header(h), (err) => (err ? reject(err) : resolve())));
}

async function addFile(tar: Pack, name: string, data: Buffer, mode: number): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    tar.entry(header({ name, type: 'file', mode, size: data.length }), data, (err) => (err ? reject(err) : resolve())),
  );
}

async function streamFile(tar: Pack, name: string, abs: string, size: number, mode: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sink = tar.entry(header({ name, type: 'file', mode, size }), (err) => (err ? reject(err) : resolve()));
    const src = createReadStream(abs);
    src.on('error', reject);
    src.pipe(sink);
  });
}
