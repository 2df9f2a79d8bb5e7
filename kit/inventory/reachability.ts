import { Socket } from 'node:net';

export interface PortAnswer {
  open: boolean;
  /** An SSH server's greeting, e.g. `SSH-2.0-OpenSSH_9.2p1 Raspbian-2+deb12u3`, when it sent one. */
  banner?: string;
}

/**
 * Does anything accept a TCP connection at host:port (the wizard's "does it answer on 22")? An SSH
 * server greets first, so its banner comes for free, with no login: it hints at the OS.
 */
export function probePort(host: string, port = 22, timeoutMs = 1500, bannerWaitMs = 1000): Promise<PortAnswer> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let open = false;
    let data = '';
    let bannerTimer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(bannerTimer);
      socket.destroy();
      const line = data.split(/\r?\n/)[0]?.trim();
      resolve({ open, ...(line && line.startsWith('SSH-') ? { banner: line.slice(0, 200) } : {}) });
    };
    socket.setTimeout(timeoutMs, () => done());
    socket.once('connect', () => {
      open = true;
      socket.setTimeout(0);
      bannerTimer = setTimeout(done, bannerWaitMs);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\n') || data.length > 255) done();
    });
    socket.once('error', () => done());
    socket.once('close', () => done());
    socket.connect(port, host);
  });
}

export async function answersOnPort(host: string, port = 22, timeoutMs = 1500): Promise<boolean> {
  return (await probePort(host, port, timeoutMs, 0)).open;
}

/** The usual first user of the OS an SSH banner names (Raspberry Pi OS: pi, Ubuntu: ubuntu). */
export function userFromBanner(banner: string | undefined): string | undefined {
  if (!banner) return undefined;
  if (/ubuntu/i.test(banner)) return 'ubuntu';
  if (/raspbian/i.test(banner)) return 'pi';
  return undefined;
}
