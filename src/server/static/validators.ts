/**
 * A file's validators and length, read off one `stat` (RFC 9110 §8.8).
 *
 * The ETag is `"<size hex>-<mtime ns hex>"`, strong. Why not a content hash: hashing means
 * reading every byte of a 1 GiB file before sending a header, and again whenever it changes;
 * why not the inode too (Apache's default): the same deploy on two machines behind one balancer
 * would then give two ETags for the same bytes, and every If-Range/If-None-Match that crossed
 * machines would miss. A write changes mtime (nanosecond resolution here, not nginx's seconds),
 * an atomic rename-into-place gives a new mtime too, so equal tags mean equal bytes unless
 * someone rewrites a file with the same length and forges its mtime — the price of not hashing.
 * Encoded variants append `-br`/`-gz` (one tag per representation, §8.8.3); a precompressed
 * sibling gets the tag of its own stat.
 * Must not: read file contents.
 */

import type { BigIntStats } from 'node:fs';
import { formatHttpDate } from './http-date.ts';
import type { Validators } from './preconditions.ts';

export interface FileInfo extends Validators {
  readonly size: number;
  /** Last-Modified as sent. */
  readonly lastModified: string;
  /** What identifies this version of the file in the cache: size and mtime. */
  readonly stamp: string;
}

/** Size and mtime in nanoseconds, hex: what names one version of a file. */
export function stampOf(stat: BigIntStats): string {
  return `${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}`;
}

export function fileInfo(stat: BigIntStats): FileInfo {
  const stamp = stampOf(stat);
  const modifiedMs = Number(stat.mtimeMs);
  return {
    size: Number(stat.size),
    etag: `"${stamp}"`,
    stamp,
    modifiedSec: Math.floor(modifiedMs / 1000),
    lastModified: formatHttpDate(modifiedMs),
  };
}

/** The tag of an on-the-fly encoding of `info`. */
export function encodedEtag(stamp: string, suffix: 'br' | 'gz'): string {
  return `"${stamp}-${suffix}"`;
}
