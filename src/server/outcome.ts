/**
 * How an exchange ended, for the access log and metrics: every request the engine has read is
 * observed exactly once, with one of these outcomes, the bytes really written, and a status:
 *   - `completed`: the whole answer was handed to the socket;
 *   - `client_closed`: the client went away (reset, broken pipe) or sent FIN before its answer
 *     was complete — a half-close cannot be told from a hang-up, so both count as the client's,
 *     as nginx (499) and node:http do;
 *   - `timed_out`: cut by a timeout (the write timeout of a client that stopped reading, …);
 *   - `drain_cut`: still running at the drain deadline;
 *   - `server_error`: the handler failed (500 in its place, or a stream cut after its head);
 *   - `dropped`: never answered because the connection closed first for another reason (a
 *     request pipelined behind a `Connection: close` one).
 * An answer that never reached the wire is recorded with the status nginx would log: 499 for a
 * client that left, 408 for a timeout, 503 for a drain cut or a drop; so is a 5xx written after
 * the client left (a framework's 500 for the body read the client cut): 499. "Client went away"
 * is then never a 5xx. A stream cut after its head by the handler's failure keeps its status on
 * the wire (often 200) with outcome `server_error`: filter failures by outcome as well.
 * Must not: touch sockets or responses (the connection decides, this only names).
 */

import { CloseReason } from './connection-state.ts';

export const Outcome = {
  COMPLETED: 'completed',
  CLIENT_CLOSED: 'client_closed',
  TIMED_OUT: 'timed_out',
  DRAIN_CUT: 'drain_cut',
  SERVER_ERROR: 'server_error',
  DROPPED: 'dropped',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** Every outcome, in a fixed order. */
export const OUTCOMES: readonly Outcome[] = Object.values(Outcome);

/** The outcome of an exchange abandoned when its connection closed for `reason`. */
export function abandonedOutcome(reason: CloseReason): Outcome {
  switch (reason) {
    case CloseReason.CLIENT:
    case CloseReason.ERROR:
      return Outcome.CLIENT_CLOSED;
    case CloseReason.TIMEOUT:
    case CloseReason.WRITE_TIMEOUT:
    case CloseReason.IDLE_TIMEOUT:
      return Outcome.TIMED_OUT;
    case CloseReason.DRAIN:
      return Outcome.DRAIN_CUT;
    default:
      return Outcome.DROPPED;
  }
}

/** The status recorded for an answer that never reached the wire. */
export function unsentStatus(outcome: Outcome): number {
  if (outcome === Outcome.CLIENT_CLOSED) return 499;
  if (outcome === Outcome.TIMED_OUT) return 408;
  return 503;
}

/** What a handler's signal says when its exchange is abandoned with `outcome`. */
export function abandonedWhy(outcome: Outcome): string {
  switch (outcome) {
    case Outcome.TIMED_OUT:
      return 'the exchange timed out before the answer was complete';
    case Outcome.DRAIN_CUT:
      return 'the server cut the exchange at its drain deadline';
    case Outcome.DROPPED:
      return 'the connection closed before the answer';
    default:
      return 'the client went away before the answer was complete';
  }
}
