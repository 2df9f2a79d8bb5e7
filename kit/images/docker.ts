import Docker from 'dockerode';
import type { Readable } from 'node:stream';

export class ImageBuildError extends Error {
  override name = 'ImageBuildError';
}

/** The dockerode calls images need: build one platform, inspect, save. */
export class ImageDocker {
  constructor(readonly docker: Docker = new Docker()) {}

  /** docker build --platform P (classic builder, one platform at a time); returns the image id. */
  async build(o: {
    context: NodeJS.ReadableStream;
    tag: string;
    platform: string;
    buildArgs?: Record<string, string>;
    noCache?: boolean;
    onLine?: (line: string) => void;
  }): Promise<string> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(o.context, {
        t: o.tag,
        platform: o.platform,
        buildargs: o.buildArgs ?? {},
        nocache: o.noCache ?? false,
        rm: true,
        forcerm: true,
        version: '1',
      } as Docker.ImageBuildOptions);
    } catch (e) {
      throw new ImageBuildError(`docker build of ${o.tag} (${o.platform}) could not start: ${(e as Error).message}; is dockerd running? run: docker info`, { cause: e });
    }
    const tail: string[] = [];
    let id = '';
    const events = await new Promise<Array<{ stream?: string; error?: string; aux?: { ID?: string } }>>((resolve, reject) =>
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, res: unknown[]) => (err ? reject(err) : resolve(res as never)),
        (ev: { stream?: string; aux?: { ID?: string } }) => {
          if (ev.aux?.ID) id = ev.aux.ID;
          for (const line of (ev.stream ?? '').split('\n').filter((l) => l.trim())) {
            tail.push(line);
            if (tail.length > 15) tail.shift();
            o.onLine?.(line);
          }
        },
      ),
    );
    const failed = events.find((e) => e.error);
    if (failed) {
      throw new ImageBuildError(`docker build of ${o.tag} (${o.platform}) failed: ${failed.error}\n${tail.join('\n')}`);
    }
    const image = await this.docker.getImage(o.tag).inspect();
    return id || image.Id;
  }

  async inspect(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.docker.getImage(ref).inspect();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  /** docker save REF as a tar stream (manifest.json, config, one layer.tar per layer). */
  async save(ref: string): Promise<Readable> {
    return (await this.docker.getImage(ref).get()) as unknown as Readable;
  }
}
