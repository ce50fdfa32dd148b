/**
 * Small files kept in memory, with their compressed forms, so a hot 1 KiB asset costs one
 * `realpath` and one `stat` per request instead of open/fstat/read/close (serve-static's path).
 * Every hit is checked against a fresh stat (size and mtime), so an edited file is never served
 * stale; the bytes and validators of an entry come from one open file (read, then fstat of the
 * same handle), so they always agree with each other.
 * Bounded: files above MAX_FILE_BYTES are streamed, never cached, and the oldest entries go
 * once MAX_TOTAL_BYTES is passed (least recently used).
 * Must not: decide what is served (the handler does) or hold a file handle open.
 */

import { Buffer } from 'node:buffer';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Coding } from './accept-encoding.ts';
import { fileInfo } from './validators.ts';
import type { FileInfo } from './validators.ts';

/** Files up to this are cached; 64 KiB covers the HTML, CSS, JS and icons of most sites. */
export const MAX_FILE_BYTES = 64 * 1024;
/** Per process; a few hundred small assets. */
export const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

/**
 * On-the-fly levels: brotli 11 takes ~100× longer than 4 for a few % less; quality 4 beats gzip
 * 6 on size at similar cost (the trade nginx's and Cloudflare's defaults make).
 */
export const BROTLI_QUALITY = 4;
export const GZIP_LEVEL = 6;

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export interface CachedFile {
  readonly info: FileInfo;
  readonly bytes: Buffer;
  /** Compressed forms, made on first use. */
  encoded: Partial<Record<Coding, Promise<Buffer>>>;
}

export class FileCache {
  private readonly entries = new Map<string, CachedFile>();
  private total = 0;

  /** The entry for `path` if it is still the version `stamp` names. */
  get(path: string, stamp: string): CachedFile | undefined {
    const entry = this.entries.get(path);
    if (entry === undefined || entry.info.stamp !== stamp) return undefined;
    // Re-inserting keeps the Map in least-recently-used order for `grow`'s eviction.
    this.entries.delete(path);
    this.entries.set(path, entry);
    return entry;
  }

  /** Reads `path` whole (it must be small) and caches it; `null` when it grew past the limit. */
  async load(path: string): Promise<CachedFile | null> {
    const handle = await open(path, 'r');
    let bytes: Buffer;
    let info: FileInfo;
    try {
      info = fileInfo(await handle.stat({ bigint: true }));
      if (info.size > MAX_FILE_BYTES) return null;
      bytes = Buffer.allocUnsafe(info.size);
      let at = 0;
      while (at < info.size) {
        const { bytesRead } = await handle.read(bytes, at, info.size - at, at);
        if (bytesRead === 0) return null; // it shrank while we read: let the streaming path cope
        at += bytesRead;
      }
    } finally {
      await handle.close();
    }
    const entry: CachedFile = { info, bytes, encoded: {} };
    this.store(path, entry);
    return entry;
  }

  /** The entry's bytes in `coding`, compressed once and kept. */
  encode(entry: CachedFile, coding: Coding): Promise<Buffer> {
    let done = entry.encoded[coding];
    if (done === undefined) {
      done = coding === 'br' ? brotli(entry.bytes) : gzipAsync(entry.bytes, { level: GZIP_LEVEL });
      entry.encoded[coding] = done;
      void done.then((b) => this.grow(b.length), ignore);
    }
    return done;
  }

  private store(path: string, entry: CachedFile): void {
    const old = this.entries.get(path);
    if (old !== undefined) this.forget(path, old);
    this.entries.set(path, entry);
    this.grow(entry.bytes.length);
  }

  private grow(bytes: number): void {
    this.total += bytes;
    for (const [path, entry] of this.entries) {
      if (this.total <= MAX_TOTAL_BYTES) break;
      this.forget(path, entry);
    }
  }

  private forget(path: string, entry: CachedFile): void {
    this.entries.delete(path);
    this.total -= entry.bytes.length;
    for (const done of Object.values(entry.encoded)) void done.then((b) => (this.total -= b.length), ignore);
  }
}

function brotli(bytes: Buffer): Promise<Buffer> {
  return brotliAsync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
}

function ignore(): void {}
