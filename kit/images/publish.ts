import type { BuildResult } from './build.ts';
import type { ImageDocker } from './docker.ts';
import { pushImage, pushList, type PushedList, type PushTarget } from './push.ts';

/**
 * Pushes every built platform image and joins them under one manifest list, tagged with the
 * build's content tag (what deploy pins) and `latest`.
 */
export async function publishImages(o: PushTarget & { built: BuildResult; docker: ImageDocker }): Promise<PushedList> {
  const { built, docker, ...target } = o;
  const images = [];
  for (const b of built.images) {
    const pushed = await pushImage({ ...target, saved: await docker.save(b.ref), platform: b.platform });
    images.push({ platform: b.platform, pushed });
  }
  const list = await pushList({ registry: o.registry, repository: o.repository, tag: built.tag, images });
  await pushList({ registry: o.registry, repository: o.repository, tag: 'latest', images });
  return list;
}
