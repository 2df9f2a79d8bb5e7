import { request } from 'node:http';

/** The Docker Engine API over its unix socket (no dependencies: this file is bundled into the image). */
export interface DockerApi {
  call<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: T; text: string }>;
}

/** `version` is DOCKER_API_VERSION, as the Docker Go client reads it: every path gets /vX.Y. */
export function dockerApi(socketPath = '/var/run/docker.sock', version?: string): DockerApi {
  const prefix = version ? `/v${version}` : '';
  return {
    call(method, path0, body, extra) {
      const path = prefix + path0;
      return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = request(
          { socketPath, method, path, headers: { Host: 'docker', ...(extra ?? {}), ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let json: any;
              try {
                json = text ? JSON.parse(text) : undefined;
              } catch {
                json = undefined;
              }
              resolve({ status: res.statusCode ?? 0, json, text });
            });
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    },
  };
}

/** Docker's error body {"message": "..."} as text. */
export function dockerMessage(r: { json: any; text: string }): string {
  return (r.json && typeof r.json.message === 'string' ? r.json.message : r.text).trim();
}
