/** A body over MAX_BODY_BYTES sent whole, as urllib and fetch send it, reads the 413 JSON: not a broken pipe. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postWithFetch, postWithUrllib } from '../support/oversize.ts';
import { photo, startFunctionProcess, waitReady, type FunctionProcess } from './support.ts';
import { readFileSync } from 'node:fs';

const refusal = { error: 'request body is over the limit of 10485760 bytes (MAX_BODY_BYTES); send a smaller image' };
let fn: FunctionProcess;

beforeAll(async () => {
  fn = await startFunctionProcess();
  await waitReady(fn.url);
});
afterAll(async () => fn?.stop());

it("Python's urllib posting 20 MB reads the 413 and its JSON error", async () => {
  const answer = await postWithUrllib(`${fn.url}/`);
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.body)).toEqual(refusal);
});

it("Node's fetch posting a 20 MB Buffer reads the 413 and its JSON error", async () => {
  const answer = await postWithFetch(`${fn.url}/`);
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.body)).toEqual(refusal);
});

it('serves the next photo after the refused bodies', async () => {
  const res = await fetch(`${fn.url}/`, { method: 'POST', body: readFileSync(photo('dog.jpg')) });
  expect(res.status).toBe(200);
});
