import type { RegistryClient } from '../registry/client.ts';
import type { BuildResult } from './build.ts';
import type { ImageDocker } from './docker.ts';
import { pushImage, pushList, type PushedList } from './push.ts';

/**
 * Pushes every built platform image and joins them under one manifest list, tagged with the
 * build's content tag (what deploy pins) and `latest`.
 */
export async function publishImages(o: {
  built: BuildResult;
  docker: ImageDocker;
  registry: RegistryClient;
  repository: string;
  blobCacheFile?: string;
  log?: (line: string) => void;
}): Promise<PushedList> {
  const images = [];
  for (const b of o.built.images) {
    const pushed = await pushImage({
      saved: await o.docker.save(b.ref),
      registry: o.registry,
      repository: o.repository,
      platform: b.platform,
      blobCacheFile: o.blobCacheFile,
      log: o.log,
    });
    images.push({ platform: b.platform, pushed });
  }
  const list = await pushList({ registry: o.registry, repository: o.repository, tag: o.built.tag, images });
  await pushList({ registry: o.registry, repository: o.repository, tag: 'latest', images });
  return list;
}
