import SSHConfig from 'ssh-config';
import { readSshConfig } from '../ssh/target.ts';

/** What ~/.ssh/config says about a host alias (the wizard's defaults). */
export interface SshHost {
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  identityFile?: string;
}

export interface SshHosts {
  /** Concrete aliases (no wildcards), in file order. */
  aliases: string[];
  lookup(host: string): SshHost;
}

/** Reads an ssh_config file; a missing or unreadable file is simply empty. */
export async function readSshHosts(path = '~/.ssh/config', env: NodeJS.ProcessEnv = process.env): Promise<SshHosts> {
  const config = (await readSshConfig(path, env)) ?? SSHConfig.parse('');
  const aliases: string[] = [];
  for (const line of config) {
    if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
    const values = typeof line.value === 'string' ? line.value.split(/\s+/) : line.value.map((v) => v.val);
    for (const v of values) if (v && !/[*?!]/.test(v) && !aliases.includes(v)) aliases.push(v);
  }
  return {
    aliases,
    lookup(host: string): SshHost {
      // Match exec would run shell commands from the file: never while guessing defaults.
      const c = config.compute(host, { ignoreCase: true, matchExec: false });
      const one = (k: string) => {
        const v = c[k];
        return Array.isArray(v) ? v[0] : v;
      };
      const port = one('port');
      return {
        alias: host,
        hostName: one('hostname'),
        user: one('user'),
        port: port ? Number(port) : undefined,
        identityFile: one('identityfile'),
      };
    },
  };
}
