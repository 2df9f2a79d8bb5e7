import { describe, expect, it } from 'vitest';
import { ConfigError, parseCluster } from './load.ts';

const withAuth = (auth: string) => `name: lab
nodes:
  - name: pi-1
    address: 10.0.0.1
    role: manager
${auth}
`;

function errorOf(text: string): ConfigError {
  try {
    parseCluster(text, 'c.yaml');
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('parsed');
}

describe('cluster.yaml errors about secret-looking fields', () => {
  it('never show a password written inline, but still say what was expected and where', () => {
    const e = errorOf(withAuth('    auth: { method: password, password: raspberry-Secret1 }'));
    expect(e.message).toContain('nodes[0].auth.password: expected a mapping, got a string (not shown: the field holds a secret)');
    expect(e.message).not.toContain('raspberry-Secret1');
    expect(JSON.stringify(e.issues)).not.toContain('raspberry-Secret1');
  });

  it('hide sudoPassword, passphrase, token and key values of any scalar type, not a keyFile path', () => {
    const sudo = errorOf(withAuth('    sudoPassword: 12345678'));
    expect(sudo.message).toContain('sudoPassword: expected a mapping, got a number (not shown');
    expect(sudo.message).not.toContain('12345678');
    const phrase = errorOf(withAuth('    auth: { method: key, keyFile: ~/.ssh/id, passphrase: "s3cr\\"et" }'));
    expect(phrase.message).not.toContain('s3cr');
    const keyFile = errorOf(withAuth('    auth: { method: key, keyFile: 7 }'));
    expect(keyFile.message).toContain('keyFile: expected a string, got 7');
  });
});
