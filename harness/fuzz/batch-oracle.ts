/**
 * The oracle of a pipelined batch (batch.ts; issue 16 §3, RFC 9112 §9.3.2, §9.6): every request
 * the server read completely is answered, in order, or refused with a status; nothing is answered
 * after the request that ended the connection; the connection then closes cleanly. In detail:
 *   - the bytes read strictly (responses.ts): no malformed, truncated or trailing answer;
 *   - the final answers, each reduced to a key (`answerKey`: the echoed path, the slow route's
 *     sleep, the sink's count, the big route's length, or the status when not 200), equal the
 *     keys the batch owes, in order: all of them after a plain half-close; those up to and
 *     including the one that asked to close (which says `Connection: close`); those before a
 *     malformed last request, then its error status with `Connection: close`; those before a
 *     request cut by the half-close, then nothing or a 400 for it (never 2xx);
 *   - the connection ends with a FIN (not a reset) before the deadline.
 * One exception: a client that asked to close and still sent requests after it breaks RFC 9112
 * §9.6's MUST NOT, and the server closes once its last answer is written without waiting for
 * more (as nginx and Go do; connection.ts `beginClose`), so what that client sent late may meet a
 * closed socket, whose reset can cut the answers it had not read yet. For such a batch a reset
 * is accepted, and the answers that did arrive must be the owed ones' beginning (the last
 * one may be cut short).
 * Requests that must never be handled (after the end, hidden in bodies) are witnessed by the
 * fixture's `smuggled-hit` log lines, which the runner checks.
 * Must not: do I/O.
 */

import { FindingKind, type Exchange } from './oracle.ts';
import { readResponses, type WireResponse } from './responses.ts';
import { Role, type BatchRequest, type BatchSpec } from './batch.ts';

export interface BatchVerdict {
  readonly findings: { kind: FindingKind; detail: string }[];
  /** Requests owed an answer (the cut one not counted). */
  readonly owed: number;
  /** Final answers received. */
  readonly answered: number;
  /** The cut request was refused with 400 (rather than left unanswered). */
  readonly refusedCut: boolean;
  /** A reset after the client sent past its own close (see above): `owed` counts what came. */
  readonly cutByReset: boolean;
}

const SLEPT = /^slept (\d+)\n$/;
const RECEIVED = /^\{"received":(\d+)\}$/;

/** What one final answer says about the request it answers (see the file comment). */
export function answerKey(r: WireResponse): string {
  if (r.status !== 200) return `status:${r.status}`;
  const path = r.get('x-fuzz-path');
  if (path !== undefined) return `path:${decodeURIComponent(path)}`;
  const text = r.body.toString('latin1');
  const slept = SLEPT.exec(text)?.[1];
  if (slept !== undefined) return `slept:${slept}`;
  const received = RECEIVED.exec(text)?.[1];
  if (received !== undefined) return `received:${received}`;
  if (/^a*$/.test(text)) return `big:${text.length}`;
  return `body:${JSON.stringify(text.slice(0, 40))}`;
}

/** The requests owed an answer, up to the one that ends the connection; and the cut one, if any. */
function owedOf(requests: readonly BatchRequest[]): { owed: BatchRequest[]; cut: boolean; closing: boolean } {
  const owed: BatchRequest[] = [];
  for (const r of requests) {
    if (r.role === Role.CUT) return { owed, cut: true, closing: false };
    if (r.role === Role.AFTER) break;
    owed.push(r);
    if (r.role !== Role.OK) return { owed, cut: false, closing: true };
  }
  return { owed, cut: false, closing: false };
}

/** Where two key lists first differ, with a little context, for a finding's detail. */
function firstDifference(got: readonly string[], want: readonly string[]): string {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const around = (keys: readonly string[]): string => keys.slice(Math.max(0, i - 1), i + 2).join(' ') || '∅';
  return `${got.length} answers for ${want.length} owed; first difference at #${i + 1}: got [${around(got)}], owed [${around(want)}]`;
}

/** Judges one batch exchange (the runner adds the log witnesses and worker exits). */
export function judgeBatch(x: Exchange, spec: BatchSpec): BatchVerdict {
  const findings: BatchVerdict['findings'] = [];
  const { owed, cut, closing } = owedOf(spec.requests);
  const isHead = (i: number): boolean => (owed[i] ?? spec.requests[i])?.method === 'HEAD';
  const read = readResponses(x.received, isHead);
  const sentAfterClose = closing && spec.requests.some((r) => r.role === Role.AFTER);
  const cutByReset = sentAfterClose && x.reset;
  if (read.error !== null && !(cutByReset && read.error.startsWith('truncated')))
    findings.push({ kind: FindingKind.BAD_RESPONSE, detail: read.error });
  if (!x.closed) findings.push({ kind: FindingKind.HANG, detail: 'no close before the deadline' });
  else if (x.reset && !cutByReset)
    findings.push({ kind: FindingKind.RESET, detail: 'the connection ended with a reset' });
  const finals = read.responses.filter((r) => r.status >= 200);
  const got = finals.map(answerKey);
  const want = cutByReset ? owed.slice(0, finals.length).map((r) => r.answer) : owed.map((r) => r.answer);
  // The cut request may be refused with 400, never accepted.
  const extra = cut && got.length === want.length + 1 && got[got.length - 1] === 'status:400';
  const compared = extra ? got.slice(0, -1) : got;
  if (compared.join('\n') !== want.join('\n')) {
    findings.push({ kind: FindingKind.BATCH, detail: firstDifference(compared, want) });
  } else if (closing && finals.length === owed.length) {
    const last = finals[finals.length - 1];
    if ((last?.get('connection') ?? '').toLowerCase() !== 'close')
      findings.push({
        kind: FindingKind.BATCH,
        detail: `the last answer (#${finals.length}) does not say close`,
      });
  }
  return { findings, owed: want.length, answered: finals.length, refusedCut: extra, cutByReset };
}
