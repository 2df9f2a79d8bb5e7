import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { atomicWrite } from '../inventory/write.ts';
import { edgefaasHome } from '../ssh/index.ts';

/** What the last `images push` published: deploy pins this reference. Kept per cluster. */
export interface PublishedImage {
  reference: string;
  digest: string;
  platforms: Array<{ platform: string; digest: string; size: number }>;
  pushedAt: string;
}

export function publishedFile(cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(edgefaasHome(env), cluster, 'image.json');
}

export async function readPublished(cluster: string, env: NodeJS.ProcessEnv = process.env): Promise<PublishedImage | undefined> {
  try {
    return JSON.parse(await fs.readFile(publishedFile(cluster, env), 'utf8')) as PublishedImage;
  } catch {
    return undefined;
  }
}

export async function writePublished(cluster: string, p: PublishedImage, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = publishedFile(cluster, env);
  await fs.mkdir(dirname(file), { recursive: true });
  await atomicWrite(file, JSON.stringify(p, null, 2) + '\n');
}

/** "10.0.0.2:5000/edgefaas/function:abc" -> registry, repository, reference (tag or digest). */
export function splitImageRef(ref: string): { registry: string; repository: string; reference: string } {
  const at = ref.indexOf('@');
  const [name, reference] = at >= 0 ? [ref.slice(0, at), ref.slice(at + 1)] : splitTag(ref);
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  if (!first || !(first.includes(':') || first.includes('.') || first === 'localhost')) {
    throw new Error(`image ${ref} names no registry host; expected HOST:PORT/edgefaas/function:TAG`);
  }
  return { registry: first, repository: name.slice(slash + 1), reference };
}

function splitTag(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}
