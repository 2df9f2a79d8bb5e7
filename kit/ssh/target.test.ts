import SSHConfig from 'ssh-config';
import { describe, expect, it } from 'vitest';
import { resolveEndpoint } from './target.ts';

const env = { HOME: '/home/me', USER: 'me' };
const config = SSHConfig.parse(`
Host pi1
  HostName 192.168.1.21
  User pi
  Port 2222
  IdentityFile ~/.ssh/pi_ed25519

Host bastion
  HostName 203.0.113.5
  User admin

Host inner
  HostName 10.0.0.7
  ProxyJump bastion

Host deep
  HostName 10.0.0.8
  ProxyJump ops@bastion:2200,inner
`);

describe('resolveEndpoint', () => {
  it('takes HostName, User, Port and IdentityFile from the alias', () => {
    expect(resolveEndpoint('pi1', config, {}, env)).toEqual({
      host: '192.168.1.21',
      port: 2222,
      user: 'pi',
      identityFiles: ['/home/me/.ssh/pi_ed25519'],
      alias: 'pi1',
    });
  });

  it('reads keywords in any case, as OpenSSH does', () => {
    const lower = SSHConfig.parse('host pi2\n  hostname 192.168.1.22\n  user pi\n  port 2200\n  identityfile ~/.ssh/pi2\n');
    expect(resolveEndpoint('pi2', lower, {}, env)).toEqual({
      host: '192.168.1.22',
      port: 2200,
      user: 'pi',
      identityFiles: ['/home/me/.ssh/pi2'],
      alias: 'pi2',
    });
  });

  it("lets cluster.yaml's user and port override the config", () => {
    const e = resolveEndpoint('pi1', config, { user: 'root', port: 22 }, env);
    expect([e.user, e.port]).toEqual(['root', 22]);
  });

  it('uses the address itself and $USER when no alias matches', () => {
    expect(resolveEndpoint('10.1.2.3', config, {}, env)).toEqual({ host: '10.1.2.3', port: 22, user: 'me', identityFiles: [] });
  });

  it('follows ProxyJump through the jump alias', () => {
    const e = resolveEndpoint('inner', config, {}, env);
    expect(e.host).toBe('10.0.0.7');
    expect(e.jump).toEqual({ host: '203.0.113.5', port: 22, user: 'admin', identityFiles: [], alias: 'bastion' });
  });

  it('chains a ProxyJump list: the last hop is reached through the ones before it', () => {
    const e = resolveEndpoint('deep', config, {}, env);
    expect(e.jump!.host).toBe('10.0.0.7');
    expect(e.jump!.jump).toMatchObject({ host: '203.0.113.5', port: 2200, user: 'ops' });
  });
});
