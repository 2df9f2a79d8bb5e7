import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DOGS_VS_CATS, photo } from '../../test/function/support.ts';
import { caffeInput, decodeRgb, ImageInputError, loadImg224, pillowNearestIndices, preprocess, resizeNearestLikePillow } from './preprocess.ts';

const PIL = '/usr/bin/python3';
// Pillow reads files: test images made here go in a directory removed afterwards.
const scratch = mkdtempSync(join(tmpdir(), 'edgefaas-preprocess-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What Keras' load_img(target_size=(224, 224)) hands the model: Pillow's RGB, NEAREST resized. */
function pillowReference(files: string[]): Buffer[] {
  const script = [
    'import sys',
    'from PIL import Image',
    'for f in sys.argv[1:]:',
    '    sys.stdout.buffer.write(Image.open(f).convert("RGB").resize((224, 224), Image.NEAREST).tobytes())',
  ].join('\n');
  const out = execFileSync(PIL, ['-c', script, ...files], { maxBuffer: 224 * 224 * 3 * files.length + 1024 });
  return files.map((_, i) => out.subarray(i * 224 * 224 * 3, (i + 1) * 224 * 224 * 3));
}

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

const DARKNET = ['dog.jpg', 'eagle.jpg', 'giraffe.jpg', 'horses.jpg', 'kite.jpg', 'person.jpg', 'scream.jpg'];

describe('preprocessing matches Keras load_img + preprocess_input', () => {
  it('gives the 224x224 pixels of PIL NEAREST, byte for byte, on every darknet photo', async () => {
    const files = DARKNET.map(photo);
    const refs = pillowReference(files);
    for (const [i, f] of files.entries()) {
      const mine = await loadImg224(readFileSync(f));
      expect({ photo: DARKNET[i], differing: differingBytes(mine.data, refs[i]!) }).toEqual({ photo: DARKNET[i], differing: 0 });
    }
  });

  it('gives the PIL pixels on dogs-vs-cats photos of odd sizes too', async () => {
    const dir = join(DOGS_VS_CATS, 'valid', 'cat');
    const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 25).map((f) => join(dir, f));
    expect(files.length).toBe(25);
    const refs = pillowReference(files);
    for (const [i, f] of files.entries()) {
      expect(differingBytes((await loadImg224(readFileSync(f))).data, refs[i]!), f).toBe(0);
    }
  });

  it("walks source indices as Pillow's running sum does, not the closed form", () => {
    // dog.jpg is 768 wide: for output column 45 the closed form floor((i + 0.5) * 768 / 224) says 156.
    const idx = pillowNearestIndices(768, 224);
    expect(Math.floor((45 + 0.5) * 768 / 224)).toBe(156);
    expect(idx[45]).toBe(155);
    expect(idx[0]).toBe(1);
    expect(idx[223]).toBe(766);
  });

  it('turns RGB into mean-free BGR (caffe mode)', () => {
    const out = caffeInput({ width: 1, height: 1, data: new Uint8Array([10, 20, 30]) });
    expect(Array.from(out)).toEqual([30 - 103.939, 20 - 116.779, 10 - 123.68].map(Math.fround));
  });

  it('ignores an embedded ICC profile, as Pillow does', async () => {
    // Pixels stored in Display P3 with its profile attached: colour-managed decoding changes them, Pillow does not.
    const file = join(scratch, 'p3.jpg');
    await sharp(readFileSync(photo('dog.jpg'))).withIccProfile('p3').jpeg({ quality: 95 }).toFile(file);
    const bytes = readFileSync(file);
    expect((await sharp(bytes).metadata()).icc).toBeDefined();
    const ref = pillowReference([file])[0]!;
    expect(differingBytes((await loadImg224(bytes)).data, ref)).toBe(0);
    const managed = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const managed224 = resizeNearestLikePillow({ width: managed.info.width, height: managed.info.height, data: managed.data });
    expect(differingBytes(managed224.data, ref)).toBeGreaterThan(1000);
  });
});

describe('other pixel formats become 3-channel 8-bit', () => {
  const dog = readFileSync(photo('dog.jpg'));

  it('greyscale JPEG: R = G = B, as PIL converts it', async () => {
    const grey = await sharp(dog, { ignoreIcc: true }).toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const img = await loadImg224(grey);
    expect(img.data.length).toBe(224 * 224 * 3);
    for (let p = 0; p < img.data.length; p += 3) expect(img.data[p]).toBe(img.data[p + 2]);
    const file = join(scratch, 'grey.jpg');
    writeFileSync(file, grey);
    expect(differingBytes(img.data, pillowReference([file])[0]!)).toBe(0);
  });

  it('RGBA PNG: alpha dropped, colour kept (as PIL convert("RGB"))', async () => {
    const rgb = await sharp(dog, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const rgba = await sharp(dog, { ignoreIcc: true }).ensureAlpha(0.3).png().toBuffer();
    expect((await sharp(rgba).metadata()).channels).toBe(4);
    const img = await decodeRgb(rgba);
    expect(differingBytes(img.data, rgb.data)).toBe(0);
  });

  it('16-bit PNG: scaled to 8 bits', async () => {
    const ramp = new Uint16Array(256 * 2);
    for (let x = 0; x < 256; x++) ramp[x] = ramp[256 + x] = x * 257;
    const png16 = await sharp(ramp, { raw: { width: 256, height: 2, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const img = await decodeRgb(png16);
    expect(img.data.length).toBe(256 * 2 * 3);
    expect([img.data[0], img.data[3 * 128], img.data[3 * 255]]).toEqual([0, 128, 255]);
  });

  it('CMYK JPEG: close to the RGB original', async () => {
    const cmyk = await sharp(dog).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const a = await decodeRgb(dog);
    const b = await decodeRgb(cmyk);
    let sum = 0;
    for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
    expect(sum / a.data.length).toBeLessThan(15);
  });
});

describe('bad bytes are refused with a reason', () => {
  it('refuses a non-image as 415', async () => {
    await expect(preprocess(Buffer.from('hello, world'))).rejects.toMatchObject({ status: 415, message: expect.stringContaining('not an image') });
  });

  it('refuses a truncated JPEG as 400', async () => {
    const cut = readFileSync(photo('dog.jpg')).subarray(0, 20_000);
    await expect(preprocess(cut)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('truncated') });
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    const bomb = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#fff' } }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    const err = await preprocess(bomb, { maxPixels: 40_000_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect(err).toMatchObject({ status: 413, message: expect.stringContaining('7000x7000') });
  });
});
