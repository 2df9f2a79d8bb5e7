/**
 * Decoding is budgeted against memory: a 40 MP photo decodes to ~120 MB of RGB before it is
 * shrunk to 224×224, so a few at once could pass a Pi's or a container's memory limit. Each
 * decode reserves its estimated bytes and waits (in arrival order) until they fit.
 */
import { readImageHeader, type ImageHeader } from './preprocess.ts';

export class MemoryBudget {
  private used = 0;
  private waiting: Array<{ bytes: number; grant(): void }> = [];

  constructor(readonly totalBytes: number) {}

  /** Resolves with a release function once `bytes` fit; one reservation alone always fits. */
  acquire(bytes: number): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.used += bytes;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.used -= bytes;
          this.pump();
        });
      };
      if (this.waiting.length === 0 && this.fits(bytes)) grant();
      else this.waiting.push({ bytes, grant });
    });
  }

  get usedBytes(): number {
    return this.used;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.totalBytes;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) this.waiting.shift()!.grant();
  }
}

/** RGB decode buffer, libvips' working copy of it, and the body itself. */
export function decodeCost(header: ImageHeader, bodyBytes: number): number {
  return header.width * header.height * 3 * 2 + bodyBytes;
}

/** decodeCost from the bytes' header alone; what is no image costs its length (nothing is decoded). */
export async function decodeCostBytes(image: Uint8Array): Promise<number> {
  try {
    return decodeCost(await readImageHeader(image, { maxPixels: Infinity }), image.length);
  } catch {
    return image.length;
  }
}
