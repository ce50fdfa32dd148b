/**
 * Property tests of the request parser (RFC 9112 §2–§7): generated valid pipelines come back
 * exactly as generated under any split of the byte stream, and mutated inputs never make the
 * parser throw or loop, and give the same outcomes however the stream is split.
 *
 * Split-invariance is the oracle for inputs whose right answer we do not know: TCP may cut a
 * stream anywhere, so a parser whose verdict depends on the cut is wrong on one side of it.
 */

import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ERRORS, type ProtocolErrorCode } from '../../src/http/errors.ts';
import { Outcome, RequestParser, type ParserLimits } from '../../src/http/request-parser.ts';
import {
  bytewise,
  expected,
  mutatedArb,
  pipelineArb,
  requestArb,
  runSamovar,
  serialize,
  serializeAll,
  splitArb,
  splitAt,
  type GenField,
  type GenRequest,
  type MessageView,
  type SamovarMessage,
  type SamovarRun,
} from '../../harness/parser/http-gen.ts';
import { parserLimits } from '../../harness/parser/limits.ts';

/** Drops the bookkeeping fields so a parsed message compares with an expected one. */
function view(m: SamovarMessage): MessageView {
  const { start: _start, complete: _complete, headDone: _headDone, ...rest } = m;
  return rest;
}

/** Limits small enough that generated requests hit every one of them. */
const smallLimitsArb: fc.Arbitrary<Partial<ParserLimits>> = fc.record(
  {
    maxRequestLineBytes: fc.integer({ min: 1, max: 300 }),
    maxHeaderBytes: fc.integer({ min: 1, max: 800 }),
    maxHeaderCount: fc.integer({ min: 0, max: 12 }),
    maxBodyBytes: fc.integer({ min: 0, max: 300 }),
    maxChunkExtensionBytes: fc.integer({ min: 0, max: 40 }),
    maxTrailerBytes: fc.integer({ min: 0, max: 200 }),
  },
  { requiredKeys: [] },
);

const fieldBytes = (fields: readonly GenField[]): number =>
  fields.reduce((n, f) => n + `${f.name}:${f.before}${f.value}${f.after}\r\n`.length, 0);

/**
 * What each limit measures in `req`, computed from the generated parts, not from the parser:
 * the request line with its CRLF; the header section after it, final CRLF included; the field
 * count (trailers count against the same limit); the body; the longest chunk extension; the
 * trailer section, final CRLF included.
 */
function measuredSizes(req: GenRequest, bytes: Buffer): [keyof ParserLimits, number, ProtocolErrorCode][] {
  const line = bytes.indexOf('\r\n') + 2;
  const out: [keyof ParserLimits, number, ProtocolErrorCode][] = [
    ['maxRequestLineBytes', line, 'URI_TOO_LONG'],
    ['maxHeaderBytes', fieldBytes(req.fields) + 2, 'HEADERS_TOO_LARGE'],
  ];
  const f = req.framing;
  const trailers = f.kind === 'chunked' ? f.trailers.length : 0;
  const count = Math.max(req.fields.length, trailers);
  if (count > 0) out.push(['maxHeaderCount', count, 'TOO_MANY_HEADERS']);
  if (req.body.length > 0) out.push(['maxBodyBytes', req.body.length, 'BODY_TOO_LARGE']);
  if (f.kind === 'chunked') {
    const ext = Math.max(f.lastExt.length, ...f.chunks.map((c) => c.ext.length));
    if (ext > 0) out.push(['maxChunkExtensionBytes', ext, 'INVALID_CHUNK_EXTENSION']);
    out.push(['maxTrailerBytes', fieldBytes(f.trailers) + 2, 'TRAILERS_TOO_LARGE']);
  }
  return out;
}

/** Everything about a run that must not depend on the split. */
const verdict = (r: SamovarRun): unknown => ({ outcomes: r.outcomes, error: r.error, messages: r.messages });

describe('request parser properties', () => {
  it('gives back every generated pipeline, whole and under any split', () => {
    const arb = pipelineArb().chain((reqs) => {
      const bytes = serializeAll(reqs);
      return fc.tuple(fc.constant(reqs), fc.constant(bytes), splitArb(bytes));
    });
    fc.assert(
      fc.property(arb, ([reqs, bytes, chunks]) => {
        const want = reqs.map(expected);
        for (const run of [runSamovar([bytes]), runSamovar(chunks, {}, 3)]) {
          expect(run.error).toBeNull();
          expect(run.outcomes).toBe('HE'.repeat(reqs.length));
          expect(run.messages.map(view)).toEqual(want);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('resumes exactly where it stopped: every prefix leaves it waiting, the rest completes it', () => {
    const arb = pipelineArb().chain((reqs) => {
      const bytes = serializeAll(reqs);
      return fc.tuple(fc.constant(reqs), fc.constant(bytes), fc.nat(bytes.length));
    });
    fc.assert(
      fc.property(arb, ([reqs, bytes, cut]) => {
        const prefix = runSamovar([bytes.subarray(0, cut)]);
        expect(prefix.error).toBeNull();
        expect(prefix.messages.filter((m) => m.complete).length).toBeLessThanOrEqual(reqs.length);
        const whole = runSamovar(splitAt(bytes, [cut]));
        expect(whole.messages.map(view)).toEqual(reqs.map(expected));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws or loops on mutated input, and its verdict does not depend on the split', () => {
    const arb = mutatedArb.chain((m) => fc.tuple(fc.constant(m), splitArb(m.bytes)));
    fc.assert(
      fc.property(arb, ([{ bytes }, chunks]) => {
        const whole = runSamovar([bytes]);
        if (whole.error !== null) expect(PROTOCOL_ERRORS[whole.error].status).toBeGreaterThanOrEqual(400);
        expect(verdict(runSamovar(chunks, {}, 3))).toEqual(verdict(whole));
        expect(verdict(runSamovar(bytewise(bytes)))).toEqual(verdict(whole));
      }),
      { numRuns: 600 },
    );
  });

  it('keeps its verdict under any split whatever the limits (the partial-line checks agree with the whole-line ones)', () => {
    const inputArb = fc.oneof(
      pipelineArb().map(serializeAll),
      mutatedArb.map((m) => m.bytes),
    );
    const arb = inputArb.chain((bytes) => fc.tuple(fc.constant(bytes), smallLimitsArb, splitArb(bytes)));
    fc.assert(
      fc.property(arb, ([bytes, limits, chunks]) => {
        const whole = verdict(runSamovar([bytes], limits));
        expect(verdict(runSamovar(chunks, limits, 2))).toEqual(whole);
        expect(verdict(runSamovar(bytewise(bytes), limits))).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it('enforces each limit exactly: at the measured size it accepts, one byte (or field) less it answers the code', () => {
    const arb = requestArb().filter((r) => r.leadingCrlf === 0);
    fc.assert(
      fc.property(arb, (req) => {
        const bytes = serialize(req);
        for (const [limit, size, code] of measuredSizes(req, bytes)) {
          expect(runSamovar([bytes], { [limit]: size }).error, `${limit} = ${size}`).toBeNull();
          expect(runSamovar([bytes], { [limit]: size - 1 }).error, `${limit} = ${size - 1}`).toBe(code);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays dead after an error: more input gives ERROR again, never a new request', () => {
    const p = new RequestParser(parserLimits());
    const bad = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nX\0: y\r\n\r\n');
    const good = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(p.execute(bad, 0, bad.length)).toBe(Outcome.ERROR);
    expect(p.error).toBe('INVALID_HEADER_NAME');
    expect(p.execute(good, 0, good.length)).toBe(Outcome.ERROR);
    expect(p.error).toBe('INVALID_HEADER_NAME');
  });
});
