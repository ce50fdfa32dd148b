/**
 * Did the client resume? The handshakes a peer counted, full and resumed, read before and after a
 * run: Samovar's `samovar_tls_handshakes_total{resumed}` from its metrics port (workers push
 * every 200 ms, so the lab reads after its quiet pause), node:https's own count from
 * `GET /tls-stats` (load/lib/peer-node-https.ts; that request is itself one full handshake).
 * nginx counts none without an access log, so its rows say "not counted".
 * Must not: drive load or judge results.
 */
import { httpRequest } from './processes.ts';
import type { RunningServer } from './servers.ts';

export interface HandshakeCounts {
  readonly full: number;
  readonly resumed: number;
}

/** Probes sent so far to each node:https peer (by port). */
const probesOf = new Map<number, number>();

function metricValue(text: string, resumed: boolean): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith('samovar_tls_handshakes_total{') && l.includes(`resumed="${resumed}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The peer's counts so far, or `null` when it does not count them (nginx) or the read failed. */
export async function handshakeCounts(server: RunningServer): Promise<HandshakeCounts | null> {
  try {
    if (server.id === 'samovar' && server.metricsPort !== null) {
      const res = await httpRequest(server.metricsPort, 'GET', '/metrics');
      return { full: metricValue(res.body, false), resumed: metricValue(res.body, true) };
    }
    if (server.id === 'node-https') {
      // Each probe is itself a full handshake, counted before it answers: leave them all out.
      const probes = (probesOf.get(server.port) ?? 0) + 1;
      probesOf.set(server.port, probes);
      const res = await httpRequest(server.port, 'GET', '/tls-stats', null, null, 'https');
      const counts = JSON.parse(res.body) as HandshakeCounts;
      return { full: counts.full - probes, resumed: counts.resumed };
    }
  } catch {
    return null;
  }
  return null;
}

/** Handshakes between two reads; `null` when either is unknown. */
export function handshakesBetween(
  before: HandshakeCounts | null,
  after: HandshakeCounts | null,
): HandshakeCounts | null {
  if (before === null || after === null) return null;
  return { full: after.full - before.full, resumed: after.resumed - before.resumed };
}
