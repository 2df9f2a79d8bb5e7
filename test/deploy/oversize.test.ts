/**
 * A 20 MB upload through the lab gateway, as Python's urllib and Node's fetch send it (whole, no
 * Expect: 100-continue): both read the function's 413 JSON, not a broken pipe or a 502.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLab, type TestLab } from '../support/lab.ts';
import { postWithFetch, postWithUrllib } from '../support/oversize.ts';
import { buildFunction, edgefaasOnLab } from './support.ts';

const refusal = { error: 'request body is over the limit of 10485760 bytes (MAX_BODY_BYTES); send a smaller image' };

let lab: TestLab;
let invokeUrl: string;

async function must(args: string[]): Promise<void> {
  const r = await edgefaasOnLab(lab, args);
  if (r.code !== 0) throw new Error(`edgefaas ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${r.stdout}`);
}

beforeAll(async () => {
  await buildFunction();
  lab = await startLab({ name: 'serve1', subnet: '10.99.81.0/24', nodes: 1 });
  await must(['up', '--yes']);
  await must(['images', 'push', '--base', 'debian']);
  await must(['deploy', '--function', 'classify']);
  invokeUrl = `http://${lab.info.nodes[0]!.address}:8080/function/classify`;
}, 2_400_000);

afterAll(async () => {
  await lab?.stop();
}, 600_000);

it("Python's urllib posting 20 MB through the gateway reads the 413 and its JSON error", { timeout: 300_000 }, async () => {
  const answer = await postWithUrllib(invokeUrl);
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.body)).toEqual(refusal);
});

it("Node's fetch posting a 20 MB Buffer through the gateway reads the 413 and its JSON error", { timeout: 300_000 }, async () => {
  const answer = await postWithFetch(invokeUrl);
  expect(answer.status).toBe(413);
  expect(JSON.parse(answer.body)).toEqual(refusal);
});
