import { connect } from 'node:net';

/**
 * The gateway 0.18.18 turns async on when faas_nats_address and faas_nats_port are both set
 * (UseNATS), connects to NATS Streaming at start and exits (1) when it cannot. The stand-in speaks no
 * NATS, so it exits in both cases: with NATS's own error when nothing answers, and with a plain
 * reason when something does (the lab never runs NATS; see README).
 */
export interface NatsSettings {
  address: string;
  port: number;
}

export function natsSettings(env: NodeJS.ProcessEnv): NatsSettings | { error: string } | undefined {
  const address = env.faas_nats_address ?? '';
  const portText = env.faas_nats_port ?? '';
  if (portText && !/^[+-]?\d+$/.test(portText)) return { error: `faas_nats_port invalid number: ${portText}` };
  if (!address || !portText) return undefined;
  return { address, port: Number(portText) };
}

/** Resolves with the reason the gateway exits; never resolves "ok" (the stand-in has no queue). */
export function natsStartError(n: NatsSettings, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: n.address, port: n.port, timeout: timeoutMs });
    const unreachable = () => {
      socket.destroy();
      resolve('nats: no servers available for connection');
    };
    socket.once('error', unreachable);
    socket.once('timeout', unreachable);
    socket.once('connect', () => {
      socket.destroy();
      resolve(`edgefaas stand-in: NATS answers at ${n.address}:${n.port} but the stand-in has no NATS Streaming client, so it cannot serve async calls as the real gateway would`);
    });
  });
}
