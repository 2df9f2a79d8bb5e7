/** Oversize uploads as clients people use send them: the whole body, no Expect: 100-continue. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const OVERSIZE_BYTES = 20 * 1024 * 1024;

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// urllib sends Connection: close and writes the whole body before it reads a byte of the answer.
const URLLIB_POST = `
import sys, urllib.request, urllib.error
body = b'\\xff' * int(sys.argv[2])
try:
    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=body, method='POST'), timeout=120)
    print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
`;

export interface Answer {
  status: number;
  body: string;
}

/** POSTs `bytes` with Python's urllib; a transport error (broken pipe, reset) rejects with its text. */
export function postWithUrllib(url: string, bytes = OVERSIZE_BYTES): Promise<Answer> {
  return new Promise((resolve, reject) =>
    execFile(PYTHON, ['-c', URLLIB_POST, url, String(bytes)], { timeout: 180_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`urllib: ${stderr.trim().split('\n').pop() ?? err.message}`));
      const [status, ...rest] = stdout.split('\n');
      resolve({ status: Number(status), body: rest.join('\n').trim() });
    }),
  );
}

/** POSTs `bytes` with Node's fetch and a Buffer body (Content-Length, no Expect). */
export async function postWithFetch(url: string, bytes = OVERSIZE_BYTES, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', body: new Uint8Array(Buffer.alloc(bytes, 0xff)), headers, signal: AbortSignal.timeout(180_000) });
  return { status: res.status, body: await res.text() };
}
