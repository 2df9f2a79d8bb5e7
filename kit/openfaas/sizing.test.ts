import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import { stackForCluster } from './functions.ts';
import { mebibytes, replicasThatFit, replicaSize, stackReservationMi, type NodeCapacity } from './sizing.ts';

/** A Raspberry Pi 3B: 1 GB of which Linux shows ~921 MB, four cores. */
const pi3 = (node: string, gateway: boolean): NodeCapacity => ({ node, memoryMi: 921, cpus: 4, gateway });
const pi4 = (node: string, gateway: boolean): NodeCapacity => ({ node, memoryMi: 3796, cpus: 4, gateway });

describe('replica sizing from node RAM and the model', () => {
  it("reads the stack's reservations on the gateway node from swarm/openfaas.yml", () => {
    expect(stackReservationMi()).toBe(410);
    expect(mebibytes('100M')).toBe(100);
    expect(mebibytes('1536Mi')).toBe(1536);
  });

  it('fits a replica beside the OpenFaaS stack on a single 1 GB Pi: one worker, 410 Mi reserved', () => {
    const size = replicaSize('resnet50', [pi3('pi-1', true)]);
    expect(size).toEqual({ workers: 1, requestMi: 410, limitMi: 800 });
    expect(replicasThatFit(pi3('pi-1', true), size)).toBe(1);
    expect(replicasThatFit(pi3('pi-2', false), size)).toBe(2);
  });

  it('gives 4 GB Pis as many workers as their cores and RAM hold', () => {
    expect(replicaSize('resnet50', [pi4('pi-1', true), pi4('pi-2', false)])).toEqual({ workers: 4, requestMi: 1190, limitMi: 2750 });
  });

  it('sizes for the smallest node, so a replica fits wherever Swarm puts it', () => {
    expect(replicaSize('resnet50', [pi4('pi-1', true), pi3('pi-2', false)]).workers).toBe(1);
  });

  it('never sets a limit above the smallest node', () => {
    expect(replicaSize('resnet50', [{ node: 'tiny', memoryMi: 700, cpus: 1, gateway: false }]).limitMi).toBe(700);
  });
});

describe('the stack deploy writes', () => {
  it('reserves and limits memory and sets WORKERS from the nodes, so a 1 GB Pi schedules a replica', () => {
    const spec = ClusterSpec.parse({ nodes: [{ name: 'pi-1', address: '10.0.0.2', role: 'manager' }] });
    const s = stackForCluster(spec, { image: 'r/f:1', gateway: 'http://10.0.0.2:8080', nodes: [pi3('pi-1', true)] });
    expect(s.functions.classify).toMatchObject({ requests: { memory: '410Mi' }, limits: { memory: '800Mi' }, environment: { WORKERS: '1' } });
  });
});
