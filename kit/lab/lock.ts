import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A machine-wide lock: a directory (mkdir is atomic) holding its holder's pid, so several labs,
 * checkouts and test runs on one machine take turns. A lock whose holder has died is taken over.
 * Resolves with its release; throws when a live holder keeps it past waitMs.
 */
export async function holdLock(dir: string, o: { waitMs: number; pollMs: number; what: string }): Promise<() => Promise<void>> {
  const until = Date.now() + o.waitMs;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'pid'), String(process.pid));
      return () => rm(dir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => ''));
    // No pid 10 s on: its holder died between mkdir and writing it.
    const stale = pid ? !alive(pid) : Date.now() - (await stat(dir).then((s) => s.mtimeMs, () => Date.now())) > 10_000;
    if (stale) await rm(dir, { recursive: true, force: true });
    else if (Date.now() > until) throw new Error(`${o.what} is held by process ${pid || '?'} (${dir}) for over ${o.waitMs % 60_000 ? `${o.waitMs / 1000} s` : `${o.waitMs / 60_000} min`}`);
    else await new Promise((r) => setTimeout(r, o.pollMs));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
