/**
 * Image bytes -> ResNet50 input, the way Keras does it:
 * `load_img(path, target_size=(224, 224))` (Pillow: convert to RGB, NEAREST resize) then
 * `preprocess_input` in caffe mode (RGB -> BGR, minus the ImageNet channel means, no scaling).
 */
import sharp from 'sharp';
import { INPUT_SIZE } from './input.ts';

export { INPUT_SIZE };
/** ImageNet channel means in BGR order, as keras.applications.imagenet_utils subtracts them. */
export const CAFFE_MEANS_BGR = [103.939, 116.779, 123.68] as const;

export interface DecodeLimits {
  /** Largest width x height accepted; checked from the header, before any pixel is decoded. */
  maxPixels: number;
  /** Called once the header passed, before any pixel is decoded; its result once they are (server.ts: the decode memory budget). */
  reserve?(header: ImageHeader): Promise<() => void>;
}

export interface ImageHeader {
  format: string;
  width: number;
  /** Of one frame (an animated GIF or WebP stacks its frames). */
  height: number;
}

export const DEFAULT_MAX_PIXELS = 40_000_000;

/** A problem with the uploaded bytes themselves: the server answers 4xx with its message. */
export class ImageInputError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(message);
    this.name = 'ImageInputError';
  }
}

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved 8-bit RGB, row-major. */
  data: Uint8Array;
}

const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif']);

/**
 * Pillow's NEAREST source indices (libImaging/Geometry.c, affine path): a running sum in
 * doubles, truncated. The closed form floor((i + 0.5) * in / out) drifts from it by one on
 * some rows, so this loop is kept exactly as Pillow walks it.
 */
export function pillowNearestIndices(inSize: number, outSize: number): Int32Array {
  const idx = new Int32Array(outSize);
  const a = inSize / outSize;
  let v = a * 0.5;
  for (let i = 0; i < outSize; i++) {
    idx[i] = Math.min(Math.trunc(v), inSize - 1);
    v += a;
  }
  return idx;
}

/** NEAREST resize of an RGB image, byte-identical to Pillow's `Image.resize(size, NEAREST)`. */
export function resizeNearestLikePillow(img: RgbImage, outW = INPUT_SIZE, outH = INPUT_SIZE): RgbImage {
  const xs = pillowNearestIndices(img.width, outW);
  const ys = pillowNearestIndices(img.height, outH);
  const out = new Uint8Array(outW * outH * 3);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const row = ys[y]! * img.width * 3;
    for (let x = 0; x < outW; x++) {
      const s = row + xs[x]! * 3;
      out[o++] = img.data[s]!;
      out[o++] = img.data[s + 1]!;
      out[o++] = img.data[s + 2]!;
    }
  }
  return { width: outW, height: outH, data: out };
}

/** The format and size from the header, refused unless a JPEG, PNG, WebP or GIF within maxPixels. */
export async function readImageHeader(bytes: Uint8Array, limits: DecodeLimits): Promise<ImageHeader> {
  if (bytes.length === 0) throw new ImageInputError('empty image: send the bytes of a JPEG, PNG, WebP or GIF');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageInputError('not an image: the body is not a JPEG, PNG, WebP or GIF', 415);
  }
  if (!meta.format || !FORMATS.has(meta.format)) {
    throw new ImageInputError(`unsupported image format ${meta.format ?? 'unknown'}: send a JPEG, PNG, WebP or GIF`, 415);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new ImageInputError(`${meta.format} image has no size in its header`);
  if (width * height > limits.maxPixels) {
    throw new ImageInputError(
      `image is ${width}x${height} pixels (${(width * height / 1e6).toFixed(1)} MP), over the limit of ${(limits.maxPixels / 1e6).toFixed(1)} MP; send a smaller image`,
      413,
    );
  }
  return { format: meta.format, width, height };
}

/**
 * Decodes JPEG, PNG, WebP or GIF (first frame) to 8-bit RGB, in memory.
 * The embedded ICC profile is ignored and EXIF orientation is not applied: Pillow, and so
 * Keras, does neither, and both change which class wins on some photos.
 */
export async function decodeRgb(bytes: Uint8Array, limits: DecodeLimits = { maxPixels: DEFAULT_MAX_PIXELS }): Promise<RgbImage> {
  const header = await readImageHeader(bytes, limits);
  const release = await limits.reserve?.(header);
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: limits.maxPixels,
      ignoreIcc: true,
      failOn: 'error',
      pages: 1,
      page: 0,
    })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    const why = (err as Error).message.split('\n')[0]?.replace(/^Input buffer (has )?/, '') ?? 'unknown error';
    throw new ImageInputError(`could not decode ${header.format} image (${why}): the file looks truncated or corrupt`);
  } finally {
    release?.();
  }
}

/** Keras `preprocess_input` (caffe): RGB -> BGR and minus the ImageNet means, NHWC float32. */
export function caffeInput(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * 3);
  const [mb, mg, mr] = CAFFE_MEANS_BGR;
  for (let p = 0; p < n; p++) {
    const s = p * 3;
    out[s] = img.data[s + 2]! - mb;
    out[s + 1] = img.data[s + 1]! - mg;
    out[s + 2] = img.data[s]! - mr;
  }
  return out;
}

/** The 224x224 RGB bytes Keras' `load_img(target_size=(224, 224))` would give. */
export async function loadImg224(bytes: Uint8Array, limits?: DecodeLimits): Promise<RgbImage> {
  return resizeNearestLikePillow(await decodeRgb(bytes, limits));
}

/** Image bytes -> the 1x224x224x3 float32 ResNet50 input (data only, NHWC, BGR, mean-free). */
export async function preprocess(bytes: Uint8Array, limits?: DecodeLimits): Promise<Float32Array> {
  return caffeInput(await loadImg224(bytes, limits));
}
