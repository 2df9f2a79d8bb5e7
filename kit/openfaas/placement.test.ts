import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import { stackForCluster } from './functions.ts';
import { replicasThatFit, spreadFor, type NodeRoom } from './placement.ts';
import { mebibytes as memoryMiB } from './sizing.ts';

const nodes = [
  { name: 'pi-1', address: '10.0.0.11', role: 'manager' },
  { name: 'pi-2', address: '10.0.0.12' },
  { name: 'pi-3', address: '10.0.0.13' },
];
const room = (node: string, memoryMB: number): NodeRoom => ({ node, hostname: `host-${node}`, memoryMB });
const three = [room('pi-1', 3800), room('pi-2', 3800), room('pi-3', 3800)];
const stack = (extra: object, rooms?: NodeRoom[]) =>
  stackForCluster(ClusterSpec.parse({ nodes, ...extra }), { image: 'r:5000/edgefaas/function:1', gateway: 'http://10.0.0.11:8080', rooms });

describe('replica placement', () => {
  it('starts a 3-node cluster with one replica per node, scaling up to at least that', () => {
    const fn = stack({}, three).functions.classify!;
    expect(fn.labels).toEqual({ 'com.openfaas.scale.min': '3', 'com.openfaas.scale.max': '5' });
    expect(fn.constraints).toEqual(['node.platform.os == linux']);
  });

  it('leaves out a node without memory for a replica, by a constraint faas-swarm keeps on update', () => {
    const fn = stack({}, [room('pi-1', 3800), room('pi-2', 900), room('pi-3', 1900)]).functions.catdog!;
    expect(fn.labels!['com.openfaas.scale.min']).toBe('2');
    expect(fn.constraints).toEqual(['node.platform.os == linux', 'node.hostname != host-pi-2']);
  });

  it('on 1 GB nodes, where one replica fits but not one of each function, starts each function with its own replicas', () => {
    const s = stack({}, [room('pi-1', 1024), room('pi-2', 1024), room('pi-3', 1024)]);
    expect(s.functions.classify!.labels!['com.openfaas.scale.min']).toBe('1');
    expect(s.functions.catdog!.labels!['com.openfaas.scale.min']).toBe('1');
    expect(s.functions.classify!.constraints).toEqual(['node.platform.os == linux']);
    const one = stack({ functions: [{ name: 'classify', model: 'resnet50' }] }, [room('pi-1', 1024), room('pi-2', 1024), room('pi-3', 1024)]);
    expect(one.functions.classify!.labels!['com.openfaas.scale.min']).toBe('3');
  });

  it("stops alert scaling where the nodes' cores are taken (one worker per half-CPU host: one replica each), unless cluster.yaml says otherwise", () => {
    const halfCpu = ['pi-1', 'pi-2', 'pi-3'].map((node) => ({ node, memoryMi: 3800, cpus: 1, gateway: node === 'pi-1' }));
    const sized = (extra: object) =>
      stackForCluster(ClusterSpec.parse({ nodes, functions: [{ name: 'classify', model: 'resnet50' }], ...extra }), { image: 'r:5000/edgefaas/function:1', gateway: 'http://10.0.0.11:8080', rooms: three, nodes: halfCpu }).functions.classify!;
    expect(sized({}).environment!.WORKERS).toBe('1');
    expect(sized({}).labels).toEqual({ 'com.openfaas.scale.min': '3', 'com.openfaas.scale.max': '3' });
    expect(sized({ scale: { min: 1 } }).labels).toEqual({ 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '3' });
    expect(sized({ scale: { max: 6 } }).labels).toEqual({ 'com.openfaas.scale.min': '3', 'com.openfaas.scale.max': '6' });
    const quadCore = halfCpu.map((n) => ({ ...n, cpus: 4, memoryMi: 1024 }));
    const pis = stackForCluster(ClusterSpec.parse({ nodes, functions: [{ name: 'classify', model: 'resnet50' }] }), { image: 'i', gateway: 'g', rooms: three, nodes: quadCore }).functions.classify!;
    expect(pis.labels!['com.openfaas.scale.max']).toBe('5');
  });

  it('takes scale.min and scale.max from cluster.yaml over the node count', () => {
    const fn = stack({ scale: { min: 1, max: 3 } }, three).functions.classify!;
    expect(fn.labels).toEqual({ 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '3' });
  });

  it('keeps the function\'s replicas/maxReplicas as floors where the cores are not known', () => {
    const spec = ClusterSpec.parse({ nodes, functions: [{ name: 'classify', model: 'resnet50', replicas: 4, maxReplicas: 8 }] });
    expect(spreadFor(spec, spec.functions[0]!, { oneMB: 768, allMB: 768 }, three)).toMatchObject({ min: 4, max: 8, nodes: ['pi-1', 'pi-2', 'pi-3'] });
  });

  it('refuses a deploy no node has room for, naming the nodes', () => {
    expect(() => stack({}, [room('pi-1', 900), room('pi-2', 700)])).toThrow(/no node has room for a replica of classify \(it reserves 768 MiB.*pi-1 900 MB, pi-2 700 MB/);
  });

  it('refuses scale.min above scale.max in cluster.yaml', () => {
    const r = ClusterSpec.safeParse({ nodes, scale: { min: 4, max: 2 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['scale', 'min'], message: 'scale.min must not be above scale.max' });
  });

  it('counts replicas that fit from memory and reads go-units sizes', () => {
    expect([replicasThatFit(1024, 768), replicasThatFit(1023, 768), replicasThatFit(3800, 768), replicasThatFit(200, 768)]).toEqual([1, 0, 4, 0]);
    expect([memoryMiB('768Mi'), memoryMiB('1Gi'), memoryMiB('1536m'), memoryMiB('1g')]).toEqual([768, 1024, 1536, 1024]);
  });
});
