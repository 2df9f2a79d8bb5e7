import { describe, expect, it } from 'vitest';
import { parseFunctionsFlag, parseNodeFlag, parseRegistryFlag } from './init-flags.ts';

describe('--node', () => {
  it('reads a k3sup/Ansible-style node with a key', () => {
    expect(parseNodeFlag('name=pi-1,address=10.0.0.11,user=pi,role=manager,auth=key,key=~/.ssh/id_ed25519', 0)).toEqual({
      name: 'pi-1',
      address: '10.0.0.11',
      user: 'pi',
      role: 'manager',
      auth: { method: 'key', keyFile: '~/.ssh/id_ed25519' },
    });
  });

  it('infers the auth method from key= or password-*, and defaults to the agent', () => {
    expect(parseNodeFlag('name=a,address=h,key=/k', 0).auth).toEqual({ method: 'key', keyFile: '/k' });
    expect(parseNodeFlag('name=a,address=h,password-env=PI_PASS', 0).auth).toEqual({ method: 'password', password: { env: 'PI_PASS' } });
    expect(parseNodeFlag('name=a,address=h', 0).auth).toEqual({ method: 'agent' });
    expect(parseNodeFlag('name=a,address=h,port=2222', 0).port).toBe(2222);
  });

  it('names the node flag and the key in each refusal', () => {
    expect(() => parseNodeFlag('name=a', 1)).toThrow('--node #2 (name=a): address is missing');
    expect(() => parseNodeFlag('address=h', 0)).toThrow('name is missing');
    expect(() => parseNodeFlag('name=a,address=h,colour=red', 0)).toThrow('unknown key "colour"');
    expect(() => parseNodeFlag('name=a,address=h,role=boss', 0)).toThrow('role: expected manager or worker, got "boss"');
    expect(() => parseNodeFlag('name=a,address=h,auth=key', 0)).toThrow('auth=key needs key=PATH');
    expect(() => parseNodeFlag('name=a,address=h,auth=password', 0)).toThrow('auth=password needs password-env=VAR or password-file=PATH');
    expect(() => parseNodeFlag('name=a,address=h,port=ssh', 0)).toThrow('port: expected a whole number, got "ssh"');
    expect(() => parseNodeFlag('name=a,address=h,password=x', 0)).toThrow('passwords never go on the command line');
    expect(() => parseNodeFlag('name=a,address=h,password-env=A,password-file=/f', 0)).toThrow('give password-env or password-file, not both');
  });
});

describe('--registry and --functions', () => {
  it('reads every registry form', () => {
    expect(parseRegistryFlag('manager')).toEqual({ mode: 'manager', port: 5000 });
    expect(parseRegistryFlag('manager=5001')).toEqual({ mode: 'manager', port: 5001 });
    expect(parseRegistryFlag('external=reg.lan:5000')).toEqual({ mode: 'external', address: 'reg.lan:5000' });
    expect(parseRegistryFlag('none')).toEqual({ mode: 'none' });
    expect(parseRegistryFlag('external=reg.lan:5443,ca=/etc/ca.pem,user=ci,password-env=REG_PASS')).toEqual({
      mode: 'external', address: 'reg.lan:5443', ca: '/etc/ca.pem', username: 'ci', password: { env: 'REG_PASS' },
    });
    expect(parseRegistryFlag('external=reg.lan:5000,insecure')).toEqual({ mode: 'external', address: 'reg.lan:5000', insecure: true });
    expect(() => parseRegistryFlag('external=reg.lan:5000,password=hunter2')).toThrow('passwords never go on the command line');
    expect(() => parseRegistryFlag('docker-hub')).toThrow('--registry: expected manager, manager=PORT, external=HOST:PORT[,ca=PEM,user=U,password-env=VAR] or none, got "docker-hub"');
  });

  it('reads function lists and their aliases, without duplicates', () => {
    expect(parseFunctionsFlag('classify,catdog')).toEqual(['classify', 'catdog']);
    expect(parseFunctionsFlag('resnet50')).toEqual(['classify']);
    expect(parseFunctionsFlag('both,catdog')).toEqual(['classify', 'catdog']);
    expect(() => parseFunctionsFlag('yolo')).toThrow('--functions: unknown function "yolo"');
  });
});
