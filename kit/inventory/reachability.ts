import { Socket } from 'node:net';

/** Does anything accept a TCP connection at host:port? (The wizard's "does it answer on 22".) */
export function answersOnPort(host: string, port = 22, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}
