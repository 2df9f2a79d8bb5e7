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
