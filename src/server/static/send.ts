/**
 * Writes a file's bytes to a response with backpressure: from an open FileHandle in 64 KiB reads
 * (a large file is never read whole), optionally through a brotli or gzip encoder.
 * `Response.stream` waits for the socket to drain between chunks and stops reading when the
 * client goes away; the caller owns the FileHandle and closes it after these return.
 * Must not: open or close files, or choose status and header fields.
 */

import { Buffer } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { Response } from '../api.ts';
import type { Coding } from './accept-encoding.ts';
import { BROTLI_QUALITY, GZIP_LEVEL } from './file-cache.ts';

/** One read: the socket's default high-water mark, and fs streams' own chunk size. */
export const READ_CHUNK_BYTES = 64 * 1024;

/** Yields `[start, end)` of the file; a file that shrank under us is an error (the length was promised). */
export async function* readChunks(handle: FileHandle, start: number, end: number): AsyncGenerator<Buffer> {
  for (let at = start; at < end;) {
    const want = Math.min(READ_CHUNK_BYTES, end - at);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buf, 0, want, at);
    if (bytesRead === 0) throw new Error('file shrank while being sent');
    at += bytesRead;
    yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
  }
}

/** Sends `[start, end)` with its Content-Length; HEAD gets the head only. */
export async function streamRange(
  res: Response,
  handle: FileHandle,
  start: number,
  end: number,
  headOnly: boolean,
): Promise<void> {
  res.header('Content-Length', end - start);
  if (headOnly) return res.stream(EMPTY);
  await res.stream(readChunks(handle, start, end));
}

/** Sends the whole file encoded on the fly: length unknown, so chunked (or close-delimited on 1.0). */
export async function streamEncoded(
  res: Response,
  handle: FileHandle,
  size: number,
  coding: Coding,
  headOnly: boolean,
): Promise<void> {
  if (headOnly) return res.stream(EMPTY);
  const encoder = createEncoder(coding, size);
  const piping = pipeline(Readable.from(readChunks(handle, 0, size)), encoder).catch(ignore);
  await res.stream(encoder);
  // Response.stream closes the encoder when the client goes away; when it never started (the
  // exchange was abandoned first) nobody reads it, so it is destroyed here to end the pipeline.
  if (!encoder.readableEnded) encoder.destroy();
  await piping;
}

function createEncoder(coding: Coding, size: number): Transform {
  if (coding === 'gzip') return createGzip({ level: GZIP_LEVEL });
  return createBrotliCompress({
    params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: size },
  });
}

const EMPTY: readonly Uint8Array[] = Object.freeze([]);

function ignore(): void {}
