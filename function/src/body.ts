/**
 * The image out of a request, in memory: a raw body (what `curl --data-binary` sends, any
 * content type), multipart/form-data (field `image`, else the first file) or JSON
 * `{"img": "<base64>"}`. The body limit is enforced while streaming, before it is all read.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';

/** A request the client must fix: the server answers `status` with `{"error": message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The 413 for a body over MAX_BODY_BYTES, whether announced (Expect: 100-continue) or streamed. */
export function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body is over the limit of ${limit} bytes (MAX_BODY_BYTES); send a smaller image`);
}

/** Reads the whole body, refusing it (413) as soon as it passes maxBytes. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks, size)));
    req.on('error', (err) => failed || reject(new HttpError(400, `request body could not be read: ${err.message}`)));
  });
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function fromMultipart(body: Buffer, contentType: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const files: Array<{ field: string; data: Buffer }> = [];
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: { 'content-type': contentType }, limits: { files: 20, fields: 100 } });
    } catch (err) {
      reject(new HttpError(400, `bad multipart body: ${(err as Error).message}`));
      return;
    }
    bb.on('file', (field, stream) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      // A cut-off form fails the file stream too; busboy's own 'error' below answers for both.
      stream.on('error', () => {});
      stream.on('close', () => files.push({ field, data: Buffer.concat(parts) }));
    });
    bb.on('error', (err: Error) => reject(new HttpError(400, `bad multipart body: ${err.message}`)));
    bb.on('close', () => {
      const chosen = files.find((f) => f.field === 'image') ?? files[0];
      if (!chosen) reject(new HttpError(400, 'multipart body has no file: send the photo as field "image", e.g. curl -F image=@cat.jpg'));
      else resolve(chosen.data);
    });
    bb.end(body);
  });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function fromJson(body: Buffer): Buffer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON: send {"img": "<base64 of the image>"}');
  }
  const img = parsed && typeof parsed === 'object' ? (parsed as { img?: unknown }).img : undefined;
  if (typeof img !== 'string') throw new HttpError(400, 'JSON body has no "img" string: send {"img": "<base64 of the image>"}');
  // A data: URL prefix and line breaks are common in what browsers and tools produce.
  const text = img.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
  if (text.length === 0) throw new HttpError(400, '"img" is empty: send the image base64-encoded');
  if ((!BASE64.test(text) && !BASE64URL.test(text)) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new HttpError(400, '"img" is not valid base64');
  }
  return Buffer.from(text, BASE64.test(text) ? 'base64' : 'base64url');
}

/** The image bytes carried by a body, by its content type. */
export async function extractImage(body: Buffer, contentType: string | undefined): Promise<Buffer> {
  if (body.length === 0) {
    throw new HttpError(400, 'empty body: send an image, e.g. curl --data-binary @cat.jpg');
  }
  const type = mediaType(contentType);
  if (type === 'multipart/form-data') return fromMultipart(body, contentType!);
  if (type === 'application/json' || type.endsWith('+json')) return fromJson(body);
  // `curl -d '{"img": ...}'` labels JSON as a form; no image format starts with '{', so read it as JSON.
  if (/^\s*\{/.test(body.subarray(0, 64).toString('latin1'))) return fromJson(body);
  return body;
}
