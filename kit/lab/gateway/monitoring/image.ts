import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docker } from '../../docker-cli.ts';
import { debianBase } from '../../registry/image.ts';

const dir = fileURLToPath(new URL('./', import.meta.url));

/** Prometheus and Alertmanager images from Debian's packages (one shared base), for the lab's stack. */
export async function ensureMonitoringImages(log: (line: string) => void = () => {}): Promise<{ prometheus: string; alertmanager: string }> {
  const base = await debianBase('monitoring', ['prometheus', 'prometheus-alertmanager']);
  const out: Record<string, string> = {};
  for (const name of ['prometheus', 'alertmanager']) {
    const dockerfile = `${dir}${name}.Dockerfile`;
    const hash = createHash('sha256').update(base).update(await fs.readFile(dockerfile)).digest('hex').slice(0, 12);
    const tag = `127.0.0.1:5000/edgefaas/lab-${name}:${hash}`;
    if ((await docker(['image', 'inspect', tag], { allowFail: true })).code !== 0) {
      log(`building lab ${name} image ${tag}`);
      await docker(['build', '-q', '--build-arg', `BASE=${base}`, '-f', dockerfile, '-t', tag, dir], { timeoutMs: 600_000 });
    }
    out[name] = tag;
  }
  return { prometheus: out.prometheus!, alertmanager: out.alertmanager! };
}
