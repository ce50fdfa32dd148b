/**
 * The engine's options: a plain object with the same fields as `Config` (so tests can build one
 * by hand), the defaults (the configuration's own), and the error hooks.
 *
 * Error hooks keep the three kinds of error apart (design.md): a handler's bug goes to
 * `onError` with its request id; a protocol error to `onProtocolError`, by code, without a stack.
 * Both default to one JSON line on stderr; the cluster worker routes them to its pino logger.
 * Observation hooks (`onResponse`, `requestIds`) are optional and cost nothing when absent: the
 * engine calls one function per answered request and allocates nothing for it.
 * Must not: read the environment or argv (src/config does, and reads the defaults file), or log
 * anything else.
 */

import { defaultConfig, type Config } from '../config/index.ts';
import type { ParserLimits } from '../http/request-parser.ts';
import type { ProtocolErrorCode, TimeoutCode } from '../http/errors.ts';
import type { OverloadOptions } from './overload.ts';
import type { RateLimitOptions } from './rate-limit.ts';
import type { ServerResponse } from './response.ts';
import type { TlsMaterial } from '../tls/index.ts';
import type { ServerTlsOptions } from './tls-listener.ts';
import type { AcceptorHandle as ListeningHandle } from './acceptors.ts';

/** The `timeouts` group of the configuration (src/config/schema.ts declares and documents it). */
export type ServerTimeouts = Config['timeouts'];

/** The `connections` group of the configuration, and one choice only the engine's user makes. */
export type ServerConnectionLimits = Config['connections'] & {
  /**
   * At `maxConnections`, close an idle keep-alive connection (or one that has sent nothing yet)
   * to make room, and refuse with 503 only when none is idle. For a port whose clients are few
   * and short (the metrics port): held-open idle sockets must not lock scrapers out.
   */
  readonly evictIdle?: boolean;
};

/** Where an error came from, for the error hook. */
export interface ErrorContext {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
}

/** Called once per handler bug (throw, rejection, failed stream, no answer). Must not throw. */
export type ErrorHook = (error: unknown, context: ErrorContext) => void;
/**
 * Called once per protocol error answered (or timeout answered with 408), with the id of the
 * request the error answer went to ('' when none could be sent). Must not throw.
 */
export type ProtocolErrorHook = (
  code: ProtocolErrorCode | TimeoutCode,
  remote: string,
  requestId: string,
) => void;

/**
 * Called exactly once per request the engine read, when its exchange ends: answered (engine
 * answers such as 400, 408, 500 included) or not (client gone, timeout, drain cut, stream
 * failed). `res.req` is the request; `res.outcome`, `res.statusCode` and `res.bodyBytes` say how
 * it ended (outcome.ts). Must not throw and must not keep `res`. It sees the engine's class: it
 * is an observation hook for the worker, not part of the handler API.
 */
export type ResponseHook = (res: ServerResponse) => void;

/**
 * Names requests. Given the inbound `X-Request-Id` (undefined when absent), returns the id to
 * use: the inbound one when acceptable, else a new one. With a source set, every answer echoes
 * the id in `X-Request-Id`.
 */
export interface RequestIdSource {
  next(inbound: string | undefined): string;
}

/**
 * Called when accept(2) failed (operational, not a bug): the error code and the pause started
 * (0 when the error was not a resource shortage). Called at most once per pause. Must not throw.
 */
export type AcceptErrorHook = (code: string, pauseMs: number) => void;

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly limits: Readonly<ParserLimits>;
  readonly timeouts: ServerTimeouts;
  readonly connections: ServerConnectionLimits;
  /** Load shedding (overload.ts); absent: off. */
  readonly overload?: OverloadOptions;
  /** Per-client rate limit (rate-limit.ts); absent or `enabled: false`: off. */
  readonly rateLimit?: RateLimitOptions;
  /** HTTPS on this listener (tls-listener.ts); absent: plain HTTP. */
  readonly tls?: ServerTlsOptions;
  /** Believe a plain request's `X-Forwarded-Proto` for `req.scheme` (a TLS-terminating proxy in front). */
  readonly trustForwardedProto?: boolean;
  /**
   * Bind a listening socket of this process's own with `SO_REUSEPORT`, beside others on the same
   * port, and let the kernel spread connections over them by hash; in a `node:cluster` worker it
   * binds itself instead of sharing the primary's socket. Linux (and a few BSDs) only.
   */
  readonly reusePort?: boolean;
  readonly onError?: ErrorHook;
  readonly onProtocolError?: ProtocolErrorHook;
  readonly onAcceptError?: AcceptErrorHook;
  readonly onResponse?: ResponseHook;
  /**
   * `onResponse` reads every request's `remoteAddress` (the access log): the engine reads a
   * connection's peer at its first request, before a reset could lose it. Otherwise it is read
   * only when asked.
   */
  readonly recordsPeer?: boolean;
  readonly requestIds?: RequestIdSource;
  /**
   * Makes `count` more descriptors of this server's listening socket (`handle`, bound to `port`)
   * and hands each to `Server.addAcceptor`; a `node:cluster` worker asks its primary. With it
   * and `connections.maxAcceptors` above 1, a server whose event-loop turns grow long accepts on
   * more than one descriptor (acceptors.ts). Absent: one descriptor, as Node has.
   */
  readonly copyListener?: (count: number, handle: ListeningHandle, port: number) => void;
}

/** `ParserLimits` (src/http cannot import config) must stay the `limits` group: checked here. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _limitsAreTheConfigs: Same<ParserLimits, Config['limits']> = true;

const defaults = defaultConfig();

/**
 * The engine's defaults are the configuration's (`config/defaults.json`, their one home): a
 * library user calling `createServer()` or `serve()` without options gets the server `npm start`
 * runs, limits, timeouts and all (test/unit/config/load.test.ts holds them equal).
 */
export const DEFAULT_SERVER_OPTIONS: ServerOptions = Object.freeze({
  host: defaults.host,
  port: defaults.port,
  limits: defaults.limits,
  timeouts: defaults.timeouts,
  connections: defaults.connections,
  overload: defaults.overload,
  rateLimit: defaults.rateLimit,
  trustForwardedProto: defaults.tls.trustForwardedProto,
});

/** The TLS profile of the defaults (Mozilla intermediate, timeouts, bounds), for `serverOptions`. */
const TLS_DEFAULTS: Omit<ServerTlsOptions, 'material'> = {
  clientAuth: defaults.tls.clientAuth,
  minVersion: defaults.tls.minVersion,
  ciphers: defaults.tls.ciphers,
  curves: defaults.tls.curves,
  handshakeTimeoutMs: defaults.tls.handshakeTimeoutMs,
  maxHandshakes: defaults.tls.maxHandshakes,
  ticketRotationMs: defaults.tls.ticketRotationMs,
};

export interface ServerOptionsOverrides {
  host?: string;
  port?: number;
  limits?: Partial<ParserLimits>;
  timeouts?: Partial<ServerTimeouts>;
  connections?: Partial<ServerConnectionLimits>;
  overload?: OverloadOptions;
  rateLimit?: RateLimitOptions;
  /** HTTPS: the PEM material, and any profile field to change from the defaults. */
  tls?: Partial<ServerTlsOptions> & { readonly material: TlsMaterial };
  trustForwardedProto?: boolean;
  onError?: ErrorHook;
  onProtocolError?: ProtocolErrorHook;
  onAcceptError?: AcceptErrorHook;
  onResponse?: ResponseHook;
  recordsPeer?: boolean;
  requestIds?: RequestIdSource;
}

/** `DEFAULT_SERVER_OPTIONS` with some fields replaced, one level deep. */
export function serverOptions(overrides: ServerOptionsOverrides = {}): ServerOptions {
  const d = DEFAULT_SERVER_OPTIONS;
  return {
    ...d,
    ...overrides,
    limits: { ...d.limits, ...overrides.limits },
    timeouts: { ...d.timeouts, ...overrides.timeouts },
    connections: { ...d.connections, ...overrides.connections },
    tls: overrides.tls === undefined ? undefined : { ...TLS_DEFAULTS, ...overrides.tls },
  };
}

function errorRecord(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'NonError', message: String(error) };
}

/** Default `onError`: one JSON line on stderr, written synchronously so it survives a crash. */
export const stderrErrorHook: ErrorHook = (error, context) => {
  const line = {
    level: 'error',
    time: Date.now(),
    msg: 'handler error',
    ...context,
    err: errorRecord(error),
  };
  process.stderr.write(JSON.stringify(line) + '\n');
};

/** Default `onProtocolError`: one JSON line, no stack (these are the client's mistakes, not ours). */
export const stderrProtocolErrorHook: ProtocolErrorHook = (code, remote, requestId) => {
  const line = { level: 'warn', time: Date.now(), msg: 'protocol error', code, remote, requestId };
  process.stderr.write(JSON.stringify(line) + '\n');
};

/** Default `onAcceptError`: one JSON line (operational: a descriptor shortage is not a bug). */
export const stderrAcceptErrorHook: AcceptErrorHook = (code, pauseMs) => {
  const line = { level: 'warn', time: Date.now(), msg: 'accept failed', code, pauseMs };
  process.stderr.write(JSON.stringify(line) + '\n');
};
