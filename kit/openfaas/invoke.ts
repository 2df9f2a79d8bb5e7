import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type { GatewayClient } from '../gateway/index.ts';

export interface Prediction {
  label: string;
  score: number;
  class?: number;
}

export interface Answer {
  model: string;
  predictions: Prediction[];
}

export class InvokeError extends Error {
  override name = 'InvokeError';
}

export function parseAnswer(body: Buffer): Answer {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvokeError(`the function answered something other than JSON: ${body.toString('utf8').slice(0, 200)}`);
  }
  const a = v as Partial<Answer>;
  if (!Array.isArray(a.predictions)) throw new InvokeError(`the function's answer has no predictions: ${body.toString('utf8').slice(0, 200)}`);
  return { model: String(a.model ?? ''), predictions: a.predictions };
}

/** "malamute 0.422, Eskimo_dog 0.210, Siberian_husky 0.084", as the seed's function printed it. */
export function formatAnswer(a: Answer): string {
  return a.predictions.map((p) => `${p.label} ${p.score.toFixed(3)}`).join(', ');
}

/** edgefaas invoke FUNCTION PHOTO: the photo's bytes as the body, as `curl --data-binary @photo` sends them. */
export async function invokeWithPhoto(gateway: GatewayClient, name: string, photoPath: string, timeoutMs?: number): Promise<Answer> {
  let photo: Buffer;
  try {
    photo = await fs.readFile(photoPath);
  } catch {
    throw new InvokeError(`cannot read ${photoPath}; give the path of a JPEG or PNG photo`);
  }
  const res = await gateway.invoke(name, photo, { timeoutMs });
  if (res.status !== 200) {
    const text = res.body.toString('utf8').trim().slice(0, 300);
    throw new InvokeError(`function ${name} at ${gateway.baseUrl} answered ${res.status} for ${basename(photoPath)}${text ? `: ${text}` : ''}`);
  }
  return parseAnswer(res.body);
}
