/**
 * Test helper: feeds bytes to a RequestParser in given chunks and folds the events into plain
 * values (one record per complete message, body pieces joined), so a parse of the whole buffer,
 * of every two-piece split and of one byte at a time can be compared with `toEqual`.
 */
import { Buffer } from 'node:buffer';
import { Outcome, RequestParser, type ParserLimits } from '../../src/http/request-parser.ts';
import type { ProtocolErrorCode } from '../../src/http/errors.ts';
import { headView, type HeadView } from '../../harness/parser/http-gen.ts';
import { parserLimits } from '../../harness/parser/limits.ts';

/** The head as the generator's runs project it (harness/parser/http-gen.ts), plus framing and body. */
export interface ParsedMessage extends HeadView {
  bodyKind: number;
  contentLength: number;
  body: string;
  trailers: string[];
}

export interface FeedResult {
  messages: ParsedMessage[];
  error: ProtocolErrorCode | null;
  /** For an error: whether the head had been parsed (413 from Content-Length, 501 coding…). */
  errorAfterHead: boolean;
  /** Bytes not yet part of a complete message when input ran out (0 at a message boundary). */
  incomplete: boolean;
}

/** Every way the tests cut a buffer: whole, each two-piece split, and one byte at a time. */
export function splits(length: number): number[][] {
  const all: number[][] = [[length]];
  for (let k = 1; k < length; k++) all.push([k, length - k]);
  if (length > 1) all.push(Array.from({ length }, () => 1));
  return all;
}

/** Parses `bytes` cut into pieces of the given sizes (which sum to its length). */
export function feed(bytes: Buffer, pieces: number[], limits: Partial<ParserLimits> = {}): FeedResult {
  const parser = new RequestParser(parserLimits(limits));
  const result: FeedResult = { messages: [], error: null, errorAfterHead: false, incomplete: false };
  let body: Buffer[] = [];
  let inMessage = false;
  let at = 0;
  let calls = 0;
  for (const size of pieces) {
    // Copy each piece, so a parser that kept a reference to an old chunk would read garbage.
    const chunk = Buffer.from(bytes.subarray(at, at + size));
    at += size;
    let off = 0;
    for (;;) {
      if (++calls > 10 * bytes.length + 100) throw new Error('parser does not make progress');
      const r = parser.execute(chunk, off, chunk.length);
      if (parser.offset < off || parser.offset > chunk.length) throw new Error(`bad offset ${parser.offset}`);
      off = parser.offset;
      if (r === Outcome.NEED_MORE) {
        if (off !== chunk.length) throw new Error('NEED_MORE before the chunk was consumed');
        break;
      }
      if (r === Outcome.HEAD) {
        inMessage = true;
        body = [];
      } else if (r === Outcome.BODY) {
        body.push(Buffer.from(chunk.subarray(parser.bodyStart, parser.bodyEnd)));
      } else if (r === Outcome.END) {
        const h = parser.head;
        if (h === null) throw new Error('END without a head');
        result.messages.push({
          ...headView(h),
          bodyKind: h.bodyKind,
          contentLength: h.contentLength,
          body: Buffer.concat(body).toString('latin1'),
          trailers: [...h.trailers],
        });
        inMessage = false;
      } else {
        result.error = parser.error;
        result.errorAfterHead = parser.head !== null;
        return result;
      }
    }
  }
  if (inMessage !== parser.inMessage && inMessage) throw new Error('inMessage disagrees with events');
  result.incomplete = parser.inMessage;
  return result;
}
