/**
 * The static-file handler: maps a GET or HEAD below the mount to a file under the root and
 * answers as RFC 9110 says — validators (§8.8), conditionals (§13), ranges (§14), content coding
 * (§8.4, §12.5.3), 301 for a directory without its slash, the index file for one with it.
 *
 * Per request: check the path (request-path.ts), find the file by its real path (resolve.ts),
 * pick the representation (identity, a precompressed sibling, or an on-the-fly encoding), then
 * preconditions, then Range (only ever on identity: ranges of an encoding that depends on the
 * encoder's version are useless), then the body — from memory for small files (file-cache.ts),
 * else streamed from a FileHandle that is closed in `finally`, whatever the client did.
 * Must not: know about sockets or the configuration module (it gets plain options).
 */

import type { BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Handler } from '../handler.ts';
import type { Request, Response } from '../api.ts';
import { UNMATCHED_ROUTE } from '../request.ts';
import { rankCodings } from './accept-encoding.ts';
import type { Coding } from './accept-encoding.ts';
import { compileCacheControl } from './cache-control.ts';
import type { CacheControlMatcher } from './cache-control.ts';
import { FileCache, MAX_FILE_BYTES } from './file-cache.ts';
import type { CachedFile } from './file-cache.ts';
import { mediaTypeOf } from './media-type.ts';
import type { MediaType } from './media-type.ts';
import type { StaticOptions } from './options.ts';
import { evaluatePreconditions, ifRangeAllows, Outcome } from './preconditions.ts';
import { planRange } from './range.ts';
import { parseRequestPath } from './request-path.ts';
import { isNotThere, StaticRoot } from './resolve.ts';
import { streamEncoded, streamRange } from './send.ts';
import { encodedEtag, fileInfo, stampOf } from './validators.ts';
import type { FileInfo } from './validators.ts';

const ALLOW = 'GET, HEAD';
const SIBLING_SUFFIX: Readonly<Record<Coding, string>> = { br: '.br', gzip: '.gz' };
const ETAG_SUFFIX = { br: 'br', gzip: 'gz' } as const;
const NOT_ENCODED = { coding: null, bytes: null, cached: null, handle: null, size: 0, encode: null } as const;

/** One way of sending the file: its coding, validators and where its bytes are. */
interface Representation {
  readonly coding: Coding | null;
  readonly etag: string;
  /** Identifies this version of the file behind the representation (validators.ts). */
  readonly stamp: string;
  readonly modifiedSec: number;
  readonly lastModified: string;
  /** The whole body, when it is in memory. */
  readonly bytes: Buffer | null;
  /** The cache entry `bytes` came from (identity) or was encoded from. */
  readonly cached: CachedFile | null;
  /** Else the open file to read; `encode` set means it is compressed while it is sent. */
  readonly handle: FileHandle | null;
  /** Length of `bytes` or of the file behind `handle`. */
  readonly size: number;
  readonly encode: Coding | null;
}

/** A file found for this request, with what is known of it so far. */
interface Target {
  readonly req: Request;
  readonly res: Response;
  /** The decoded path below the mount of the file served, for Cache-Control rules. */
  readonly path: string;
  readonly media: MediaType;
  /** Handles opened for this request; all closed when it ends. */
  readonly handles: FileHandle[];
}

/**
 * A handler serving `options.root` under `options.mount`. Requests outside the mount go to
 * `fallback` (404 without one). Throws at once when the root is not a directory.
 */
export function createStaticHandler(options: StaticOptions, fallback?: Handler): Handler {
  const site = new StaticSite(options, fallback ?? notFound);
  return (req, res) => site.serve(req, res);
}

class StaticSite {
  private readonly options: StaticOptions;
  private readonly root: StaticRoot;
  /** The mount without its trailing `/`: '' for `/`. */
  private readonly base: string;
  private readonly fallback: Handler;
  private readonly cacheControl: CacheControlMatcher;
  private readonly cache = new FileCache();

  constructor(options: StaticOptions, fallback: Handler) {
    this.options = options;
    this.root = new StaticRoot(options.root, options.dotfiles);
    this.base = options.mount === '/' ? '' : options.mount;
    this.fallback = fallback;
    this.cacheControl = compileCacheControl(options.cacheControl);
  }

  serve(req: Request, res: Response): void | Promise<void> {
    const path = req.path;
    const base = this.base;
    if (!path.startsWith(base) || (path.length > base.length && path.charCodeAt(base.length) !== 0x2f)) {
      return this.fallback(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return void res.status(405).header('Allow', ALLOW).send('Method Not Allowed\n');
    }
    if (path.length === base.length) return redirect(req, res); // `/mount` → `/mount/`
    const checked = parseRequestPath(path.slice(base.length), this.options.dotfiles);
    if (!checked.ok) {
      if (checked.status !== 400) return notFound(req, res);
      return void res.status(400).send('Bad Request\n');
    }
    return this.serveChecked(req, res, checked.segments, checked.directory);
  }

  private async serveChecked(
    req: Request,
    res: Response,
    segments: readonly string[],
    dir: boolean,
  ): Promise<void> {
    let found = this.root.find(segments);
    if (found.kind === 'directory') {
      if (!dir) return redirect(req, res);
      if (this.options.index === '') return notFound(req, res);
      segments = [...segments, this.options.index];
      found = this.root.find(segments);
    } else if (dir) return notFound(req, res); // `/file.txt/`
    if (found.kind !== 'file') return notFound(req, res);
    const name = segments[segments.length - 1] ?? '';
    const target: Target = {
      req,
      res,
      path: '/' + segments.join('/'),
      media: mediaTypeOf(name),
      handles: [],
    };
    try {
      await this.sendFile(target, found.real, found.stat, segments);
    } catch (error) {
      // Deleted or replaced between the stat and the open: as if it had never been there.
      if (!isNotThere(error) || res.headersSent) throw error;
      notFound(req, res);
    } finally {
      // FileHandle.close waits for a read in flight, so this is safe even mid-stream.
      await Promise.all(target.handles.map((h) => h.close()));
    }
  }

  private async sendFile(
    t: Target,
    real: string,
    stat: BigIntStats,
    segments: readonly string[],
  ): Promise<void> {
    const identity = await this.load(t, real, stat);
    const range = t.req.method === 'GET' ? t.req.get('range') : undefined;
    // Range is served on identity only, so a ranged request never varies by Accept-Encoding.
    const rep = range === undefined ? await this.negotiate(t, identity, segments) : identity;
    const res = t.res;
    const outcome = evaluatePreconditions(t.req, rep);
    if (outcome === Outcome.FAILED) return void res.status(412).send('Precondition Failed\n');
    this.validatorFields(t, rep);
    if (outcome === Outcome.NOT_MODIFIED) return void res.status(304).send();
    res.header('Accept-Ranges', 'bytes');
    let start = 0;
    let end = rep.size;
    if (range !== undefined && ifRangeAllows(t.req.get('if-range'), rep, Date.now())) {
      const plan = planRange(range, rep.size);
      if (plan.kind === 'unsatisfiable') {
        res.status(416).header('Content-Range', `bytes */${rep.size}`);
        return void res.send('Range Not Satisfiable\n');
      }
      if (plan.kind === 'partial') {
        res.status(206).header('Content-Range', `bytes ${plan.start}-${plan.end}/${rep.size}`);
        start = plan.start;
        end = plan.end + 1;
      }
    }
    res.header('Content-Type', t.media.contentType);
    if (rep.coding !== null) res.header('Content-Encoding', rep.coding);
    return sendBody(res, rep, start, end, t.req.method === 'HEAD');
  }

  /** The file as it is: from the cache when small, else opened (and fstat'ed) for streaming. */
  private async load(t: Target, real: string, stat: BigIntStats): Promise<Representation> {
    if (stat.size <= MAX_FILE_BYTES) {
      // A hit costs no date formatting: the entry's validators were made when it was read.
      const cached = this.cache.get(real, stampOf(stat)) ?? (await this.cache.load(real));
      if (cached !== null)
        return {
          ...validatorsOf(cached.info),
          ...NOT_ENCODED,
          bytes: cached.bytes,
          cached,
          size: cached.info.size,
        };
    }
    const handle = await open(real, 'r');
    t.handles.push(handle);
    // The validators must describe the bytes we will read: take them from the open file.
    const current = fileInfo(await handle.stat({ bigint: true }));
    return { ...validatorsOf(current), ...NOT_ENCODED, handle, size: current.size };
  }

  /** Picks identity, a precompressed sibling, or an on-the-fly coding, by Accept-Encoding. */
  private async negotiate(
    t: Target,
    identity: Representation,
    segments: readonly string[],
  ): Promise<Representation> {
    const ranked = rankCodings(joinedField(t.req, 'accept-encoding'));
    if (ranked.length === 0) return identity;
    if (this.options.precompressed) {
      for (const coding of ranked) {
        const sibling = await this.sibling(t, segments, coding, identity);
        if (sibling !== null) return sibling;
      }
    }
    const o = this.options;
    if (!o.compress || !t.media.compressible || identity.size < o.compressMinBytes) return identity;
    const coding = ranked[0] as Coding;
    const etag = encodedEtag(identity.stamp, ETAG_SUFFIX[coding]);
    if (identity.cached !== null) {
      const bytes = await this.cache.encode(identity.cached, coding);
      return { ...identity, coding, etag, bytes, size: bytes.length };
    }
    return { ...identity, coding, etag, encode: coding };
  }

  /** `FILE.br` / `FILE.gz` beside the file, when it exists and is not older than the file. */
  private async sibling(
    t: Target,
    segments: readonly string[],
    coding: Coding,
    identity: Representation,
  ): Promise<Representation | null> {
    const last = segments.length - 1;
    const names = segments.map((s, i) => (i === last ? s + SIBLING_SUFFIX[coding] : s));
    const found = this.root.find(names);
    if (found.kind !== 'file') return null;
    // A sibling older than its source is left over from a previous deploy: never serve it.
    if (Math.floor(Number(found.stat.mtimeMs) / 1000) < identity.modifiedSec) return null;
    const rep = await this.load(t, found.real, found.stat);
    return { ...rep, coding };
  }

  /** ETag, Last-Modified, Cache-Control and Vary: on 200, 206 and 304 alike (§15.4.5). */
  private validatorFields(t: Target, rep: Representation): void {
    const res = t.res;
    res.header('ETag', rep.etag).header('Last-Modified', rep.lastModified);
    const cacheControl = this.cacheControl(t.path);
    if (cacheControl !== undefined) res.header('Cache-Control', cacheControl);
    if (t.media.compressible || rep.coding !== null) res.header('Vary', 'Accept-Encoding');
  }
}

/** The validator fields of a file version, as a representation carries them. */
function validatorsOf(
  info: FileInfo,
): Pick<Representation, 'etag' | 'stamp' | 'modifiedSec' | 'lastModified'> {
  return {
    etag: info.etag,
    stamp: info.stamp,
    modifiedSec: info.modifiedSec,
    lastModified: info.lastModified,
  };
}

/** `[start, end)` of the representation: from memory, from the file, or through an encoder. */
function sendBody(
  res: Response,
  rep: Representation,
  start: number,
  end: number,
  headOnly: boolean,
): void | Promise<void> {
  if (rep.bytes !== null)
    return res.send(start === 0 && end === rep.bytes.length ? rep.bytes : rep.bytes.subarray(start, end));
  const handle = rep.handle as FileHandle;
  if (rep.encode !== null) return streamEncoded(res, handle, rep.size, rep.encode, headOnly);
  return streamRange(res, handle, start, end, headOnly);
}

/** 301 to the same path with a `/` added, query kept (RFC 9110 §15.4.2). */
function redirect(req: Request, res: Response): void {
  const query = req.rawQuery === '' ? '' : '?' + req.rawQuery;
  res
    .status(301)
    .header('Location', req.path + '/' + query)
    .send('Moved Permanently\n');
}

/** A miss is no file: labelled `unmatched` like the router's, not with the site's route label. */
function notFound(req: Request, res: Response): void {
  req.route = UNMATCHED_ROUTE;
  res.status(404).send('Not Found\n');
}

/** Every line of a list field, joined as one (RFC 9110 §5.3). */
function joinedField(req: Request, name: string): string | undefined {
  const all = req.getAll(name);
  return all.length === 0 ? undefined : all.length === 1 ? all[0] : all.join(', ');
}
