/**
 * The one schema of Samovar's configuration: every field, its type, its allowed range and its
 * one-line description (the docs table is generated from these). `Config` is its output type.
 *
 * Durations are integer milliseconds in fields ending `Ms`, sizes integer bytes in fields ending
 * `Bytes` (fields.ts asserts it). Defaults are not here but in `config/defaults.json`, validated
 * by this same schema.
 * Must not: read the environment, argv or files; hold defaults; know where values come from.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
// The log's own file, not its index: the choices alone, without loading pino.
import { AccessMode, LOG_LEVELS, OnStall } from '../log/settings.ts';
import { parseCacheControlRules } from './static-rules.ts';
// The TLS profile's own file: the choices alone, without node:tls.
import { CLIENT_AUTH, TLS_VERSIONS } from '../tls/profile.ts';

/** Node's timers hold a signed 32-bit delay; a longer one fires at once, with only a warning. */
export const MAX_TIMER_MS = 2_147_483_647;

const count = (min: number) => z.int().min(min);
const bytes = (min: number) => z.int().min(min);
const ms = () => z.int().min(1).max(MAX_TIMER_MS);
const msOrZero = () => z.int().min(0).max(MAX_TIMER_MS);

/** `/` or `/a/b`: URL path characters (RFC 3986 pchar, no `%`), no dot segment, no trailing `/`. */
const STATIC_MOUNT = /^(?:\/|(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~!$&'()*+,;=:@-]+)+)$/;

const workers = z
  .union([z.literal('auto'), z.int().min(1)])
  .transform((value) => (value === 'auto' ? availableParallelism() : value));

/** A health path: `/` and URL path characters, without the router's `:param` and `*`. */
const HEALTH_PATH = /^\/[A-Za-z0-9._~!$&'()+,;=@/-]*$/;
/** Paths the metrics port answers itself (cluster/metrics-server.ts, cluster/status-routes.ts). */
const METRICS_PORT_PATHS = ['/metrics', '/admin/log-level', '/status', '/status/events', '/status.json'];

export const configSchema = z.strictObject({
  app: z.strictObject({
    entry: z
      .string()
      .regex(/^[^\0]*$/)
      .meta({
        description:
          'The application module each worker serves (`.js`, `.mjs`, or `.ts`), relative to the working directory; `FILE#name` picks a named export. Its export is `{ fetch }` or `{ handle }` (docs/api.md). Also the first argument of `samovar ENTRY`. Empty serves the built-in demo.',
        allowed: 'a module path without NUL, optionally followed by #exportName, or empty',
      }),
  }),
  health: z
    .strictObject({
      livePath: z.string().regex(HEALTH_PATH).meta({
        description:
          'Liveness path (200 while the process can answer), on the main port and the metrics port.',
        allowed: "a URL path starting with '/', without ':' or '*'",
      }),
      readyPath: z.string().regex(HEALTH_PATH).meta({
        description:
          'Readiness path (503 while starting, short of `cluster.minWorkers` or shutting down), on the main port and the metrics port.',
        allowed: "a URL path starting with '/', without ':' or '*'",
      }),
      mainPort: z
        .boolean()
        .describe(
          'Whether the main port answers the health paths ahead of the application; off, only the metrics port does and the application owns every path.',
        ),
    })
    .superRefine((h, ctx) => {
      // Both are routes on the metrics port: two of one path would not register.
      if (h.livePath === h.readyPath)
        ctx.addIssue({ code: 'custom', path: ['readyPath'], message: 'must differ from health.livePath' });
      for (const key of ['livePath', 'readyPath'] as const) {
        if (METRICS_PORT_PATHS.includes(h[key]))
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `must not be ${h[key]} (the metrics port's own)`,
          });
      }
    }),
  host: z
    .string()
    .regex(/^[^\s]+$/)
    .meta({
      description:
        'Address to listen on: `0.0.0.0` is every IPv4 interface, `::` every IPv6 one (and IPv4 too where dual-stack).',
      allowed: 'a host name or IP address, non-empty, without whitespace',
    }),
  port: z
    .int()
    .min(0)
    .max(65535)
    .describe('TCP port to listen on; 0 picks a free one. `PORT` is read too when `SAMOVAR_PORT` is unset.'),
  workers: workers.describe(
    'Worker processes; `auto` is `os.availableParallelism()`, one per CPU the process may use.',
  ),
  cluster: z
    .strictObject({
      schedulingPolicy: z
        .enum(['rr', 'none', 'reuseport'])
        .describe(
          "Who spreads connections over workers: `none` the kernel, from one shared socket (fast; uneven by up to a third); `rr` the primary, round-robin (even; costs the primary CPU); `reuseport` the kernel, by hash, over a socket per worker (`SO_REUSEPORT`, Linux; even and fast; needs a fixed `port`; a scale-down or crash resets its socket's queue unless `net.ipv4.tcp_migrate_req=1`). Measured in docs/cluster.md. Fixed at start.",
        ),
      minWorkers: count(0).describe(
        'Ready workers below which `/readyz` answers 503; between this and `workers` it answers 200 `degraded`.',
      ),
      readyTimeoutMs: ms().describe(
        'A new worker must say it is listening within this, else it is killed (and a rolling restart aborted).',
      ),
      heartbeatIntervalMs: ms().describe(
        'How often each worker reports to the primary (event-loop lag, memory, requests served).',
      ),
      hangTimeoutMs: ms().describe(
        'A worker silent for this long is hung: a replacement is spawned, then the worker killed (reason `hang`).',
      ),
      backoffInitialMs: ms().describe(
        'Delay before respawning a slot after its second failure in a row; it doubles with each further one.',
      ),
      backoffMaxMs: ms().describe('Longest delay between respawns of a failing slot.'),
      stableUptimeMs: ms().describe(
        "A worker up this long has proven itself: its slot's failure count and backoff reset (PM2 uses 30 s).",
      ),
      crashLoopRestarts: count(1).describe(
        'Failures in a row after which a slot counts as crash-looping and the cluster as degraded.',
      ),
      maxRequestsPerWorker: count(0).describe(
        "Requests after which a worker is replaced by the rolling path (a leak's safety valve, as gunicorn's `max_requests`); 0 never.",
      ),
      maxRequestsJitter: count(0).describe(
        "Up to this many requests added at random to each worker's `maxRequestsPerWorker`, so workers do not all recycle at once.",
      ),
      maxWorkerMemoryBytes: bytes(0).describe(
        'Resident memory above which a worker is replaced by the rolling path; 0 never.',
      ),
      workerSemiSpaceMb: count(0)
        .max(1024)
        .describe(
          "V8's `--max-semi-space-size` for each worker, in MiB: the young generation's ceiling. Left to V8 it grows to 32 MiB after a burst and stays, and `POST /echo` then had a p99 of 10 ms; 8 kept p99 lowest for keep-alive but cost `Connection: close` p99 (6 ms) and 1,000-connection throughput; 16 is the measured compromise (docs/performance.md). 0 leaves V8's default; a `--max-semi-space-size` given to node or in `NODE_OPTIONS` wins.",
        ),
    })
    .superRefine((c, ctx) => {
      // A hang timeout at or under the heartbeat interval would call every healthy worker hung.
      if (c.hangTimeoutMs <= c.heartbeatIntervalMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['hangTimeoutMs'],
          message: `must be more than cluster.heartbeatIntervalMs (${c.heartbeatIntervalMs})`,
        });
      }
      if (c.backoffMaxMs < c.backoffInitialMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['backoffMaxMs'],
          message: `must be at least cluster.backoffInitialMs (${c.backoffInitialMs})`,
        });
      }
    }),
  shutdown: z.strictObject({
    drainDelayMs: msOrZero().describe(
      'On SIGTERM/SIGINT, how long `/readyz` answers 503 before workers stop accepting, so load balancers notice first.',
    ),
    timeoutMs: ms().describe(
      "How long a draining worker's in-flight requests may take before they are cut (shutdown and each roll step).",
    ),
    idleGraceMs: msOrZero().describe(
      'Once draining, how long an idle keep-alive connection may still carry a request before it is closed.',
    ),
  }),
  limits: z.strictObject({
    maxRequestLineBytes: bytes(1).describe(
      "Longest request line before 414; 8 KiB, the size of one of nginx's `large_client_header_buffers`.",
    ),
    maxHeaderBytes: bytes(1).describe(
      "Largest header section before 431; 16 KiB, Node's own `--max-http-header-size` default.",
    ),
    maxHeaderCount: count(1).describe(
      "Most header fields in one request before 431; 100 as Apache's `LimitRequestFields`.",
    ),
    maxBodyBytes: bytes(1).describe(
      "Largest request body (after de-chunking) before 413; 1 MiB as nginx's `client_max_body_size`.",
    ),
    maxChunkExtensionBytes: bytes(1).describe(
      'Longest chunk extension in a chunked body; they mean nothing here, and unbounded ones are a DoS (CVE-2024-22019).',
    ),
    maxTrailerBytes: bytes(1).describe(
      'Largest trailer section after a chunked body; trailers are rare and small.',
    ),
  }),
  timeouts: z.strictObject({
    headersTimeoutMs: ms().describe(
      'The whole request head must arrive within this, else 408 and close (slowloris): from the accept for a new connection, from the first byte for a later request on a kept-alive one.',
    ),
    idleTimeoutMs: ms().describe(
      "Keep-alive idle time before a quiet close; as Node's `keepAliveTimeout`. Behind a load balancer, set it above the balancer's.",
    ),
    bodyTimeoutMs: ms().describe('Longest wait for more request-body bytes before 408 and close.'),
    requestTimeoutMs: ms().describe(
      "The whole request (head and body) must arrive within this of its first byte, else 408 and close; time the server spends not reading (a slow handler) does not count. As node:http's `requestTimeout`; raise it with `limits.maxBodyBytes` for slow uploads.",
    ),
    writeTimeoutMs: ms().describe(
      'Longest a response write may make no progress before the connection is cut (a client that stopped reading).',
    ),
    minSendRateBytesPerSecond: count(0).describe(
      'While a response waits on the client, it must take at least this many bytes per second, averaged over each `timeouts.writeTimeoutMs`, else the connection is cut (a client reading a large answer a byte at a time); 0: any progress will do. 240 as Kestrel and IIS.',
    ),
  }),
  connections: z.strictObject({
    maxConnections: count(1).describe(
      'Open connections per process; above it a new one gets 503 with `Retry-After`. Keep it under `ulimit -n`.',
    ),
    maxRequestsPerConnection: count(1).describe(
      "Requests on one connection; the last answer says `Connection: close`. 1000 as nginx's `keepalive_requests`.",
    ),
    maxPipelinedRequests: count(1).describe(
      'Requests parsed ahead and queued on one connection; at this many the socket is not read until answers go out.',
    ),
    maxUnreadBodyBytes: bytes(0).describe(
      'A body the handler did not read is drained up to this so the connection stays usable, else it closes; 0 always closes.',
    ),
    writeHighWaterMarkBytes: bytes(1).describe(
      "Stop reading the socket while its write buffer holds more than this; 64 KiB, Node's stream default since v22.",
    ),
    maxAcceptors: count(1)
      .max(256)
      .describe(
        'Most descriptors of a listening socket a worker accepts on. Node accepts one connection per descriptor per event-loop turn, so a busy worker takes a burst of new connections slowly; while its turns run long it opens more copies of the socket, up to this, and closes them once fewer would do. Never more than 1/256 of the open-file limit per listener. 1: one, as Node has. Not under `rr` (the primary accepts). docs/performance.md.',
      ),
  }),
  overload: z.strictObject({
    maxEventLoopLagMs: msOrZero().describe(
      "While a worker's event loop runs later than this, new requests get 503 with `Retry-After` instead of queueing; 0 off (docs/hardening.md).",
    ),
    maxInFlightRequests: count(0).describe(
      'Requests a worker may have parsed and not yet answered; beyond it new ones get 503 with `Retry-After`; 0 off.',
    ),
  }),
  rateLimit: z.strictObject({
    enabled: z
      .boolean()
      .describe(
        'Per-client rate limit (token bucket) in each worker: over it, 429 with `Retry-After`. Per worker, not cluster-wide: see docs/hardening.md.',
      ),
    requestsPerSecond: count(1).describe(
      "Each client's sustained rate, per worker (tokens refilled per second).",
    ),
    burst: count(1).describe('Requests a client may make at once before the rate applies (bucket size).'),
    trustedHeader: z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]*$/)
      .meta({
        description:
          'Header naming the client (its last element, e.g. `x-forwarded-for`) when a proxy in front sets it; empty keys clients by peer address.',
        allowed: 'a header name (token characters), or empty',
      }),
    maxClients: count(1).describe(
      'Clients tracked per worker; beyond it the least recently seen is forgotten (bounds the memory a spray of addresses can take).',
    ),
  }),
  log: z.strictObject({
    level: z
      .enum(LOG_LEVELS)
      .describe(
        'Lowest pino level written; `silent` writes nothing. Changeable at run time: SIGUSR2, or `PUT /admin/log-level` (docs/observability.md).',
      ),
    access: z
      .enum(AccessMode)
      .describe(
        'Access log, one JSON line per request: `on`, `off`, or `sampled` (one request in `log.accessSampleEvery`).',
      ),
    accessSampleEvery: count(1).describe(
      'With `log.access` `sampled`: one request in this many is logged (counted per worker, not random).',
    ),
    onStall: z
      .enum(OnStall)
      .describe(
        "What a worker does when stdout's reader stops reading: `drop` keeps serving, holds up to 1 MiB of lines and counts the rest in `samovar_log_lines_dropped_total`; `block` waits for the reader as nginx does (no line lost, no request served meanwhile). The primary never waits (docs/observability.md).",
      ),
  }),
  metrics: z.strictObject({
    enabled: z
      .boolean()
      .describe(
        'Prometheus metrics: workers count requests and connections, the primary serves them on `metrics.port`. Off costs nothing per request.',
      ),
    host: z
      .string()
      .regex(/^[^\s]+$/)
      .meta({
        description:
          'Address of the metrics port (`/metrics`, `/healthz`, `/readyz`); `127.0.0.1` keeps it off the network, `0.0.0.0` for a scraper elsewhere.',
        allowed: 'a host name or IP address, non-empty, without whitespace',
      }),
    port: z
      .int()
      .min(0)
      .max(65535)
      .describe(
        "The primary's metrics port (9464, Prometheus' registered default for exporters); 0 picks a free one.",
      ),
    scrapeTimeoutMs: ms().describe(
      'How long a scrape waits for each worker; a late one is left out of that scrape and counted in `samovar_scrape_worker_errors_total`.',
    ),
    admin: z
      .boolean()
      .describe(
        'Whether the metrics port answers `PUT /admin/log-level`; off by default, since anyone who reaches the port could use it.',
      ),
    maxConnections: count(1).describe(
      'Connections the metrics port holds at once. At the cap an idle one (or one that has not sent its request yet) is closed to make room, so held-open sockets cannot lock scrapers out; only when every one has a request in flight is a newcomer refused with 503.',
    ),
    headersTimeoutMs: ms().describe(
      "How long the metrics port waits for a request head: scrapers and probes send theirs at once, so it is short (a slowloris client is cut long before a scrape's own timeout).",
    ),
    idleTimeoutMs: ms().describe(
      'How long an idle keep-alive connection to the metrics port stays open between scrapes.',
    ),
  }),
  control: z.strictObject({
    enabled: z
      .boolean()
      .describe(
        "The primary's control socket, for `samovar status`, `reload`, `scale`, `stop` and `log-level` (docs/console.md). A Unix domain socket with mode 0600: only its owner (and root) can connect; never TCP.",
      ),
    socket: z
      .string()
      .regex(/^[^\0]*$/)
      .meta({
        description:
          'Path of the control socket, relative to the working directory. Empty: `samovar-PORT.sock` in `$XDG_RUNTIME_DIR` when that is set, else in the working directory. The console commands find it from the same configuration.',
        allowed: 'a file path without NUL, or empty',
      }),
  }),
  static: z.strictObject({
    root: z
      .string()
      .regex(/^[^\0]*$/)
      .meta({
        description:
          'Directory served as static files (relative to the working directory); empty turns static files off.',
        allowed: 'a directory path without NUL, or empty',
      }),
    mount: z.string().regex(STATIC_MOUNT).meta({
      description: 'URL path under which `static.root` appears: `/` for the whole site, or e.g. `/assets`.',
      allowed: "'/' or /segment[/segment…] of URL path characters, no '.' or '..' segment, no trailing '/'",
    }),
    index: z
      .string()
      .regex(/^(?!\.\.?$)[^/\\\0]*$/)
      .meta({
        description: 'File served for a directory URL ending in `/`; empty answers such URLs with 404.',
        allowed: "a file name without '/', '\\' or NUL, not '.' or '..', or empty",
      }),
    dotfiles: z
      .boolean()
      .describe(
        'Whether files and directories whose name starts with `.` are served (`.env`, `.git/`); off, they are 404.',
      ),
    cacheControl: z
      .string()
      .transform((text, ctx) => {
        const rules = parseCacheControlRules(text);
        if (typeof rules !== 'string') return rules;
        ctx.addIssue({ code: 'custom', message: rules });
        return z.NEVER;
      })
      .meta({
        description:
          '`Cache-Control` per path pattern, first match wins, none sends none: `PATTERN VALUE; …`. Syntax in docs/static.md.',
        allowed: "rules 'PATTERN VALUE' separated by ';' (e.g. '*.html no-cache; * max-age=300'), or empty",
      }),
    precompressed: z
      .boolean()
      .describe('Serve a fresh `FILE.br` or `FILE.gz` beside `FILE` to clients that accept that encoding.'),
    compress: z
      .boolean()
      .describe(
        'Compress compressible types (text, JSON, SVG…) on the fly with br or gzip when no sibling exists.',
      ),
    compressMinBytes: bytes(0).describe(
      'Smallest file compressed on the fly; below it the encoding overhead outweighs the saving.',
    ),
  }),
  tls: z
    .strictObject({
      cert: z
        .string()
        .regex(/^[^\0]*$/)
        .meta({
          description:
            "PEM file with the server's certificate first, then its intermediates (the chain clients need). Set, the main port speaks HTTPS; empty, plain HTTP. Read and checked by the primary at start and on SIGHUP, which switches workers to a renewed pair without a restart (docs/tls.md).",
          allowed: 'a file path without NUL, or empty',
        }),
      key: z
        .string()
        .regex(/^[^\0]*$/)
        .meta({
          description: 'PEM file with the private key of `tls.cert`, unencrypted (protect the file instead).',
          allowed: 'a file path without NUL, or empty',
        }),
      ca: z
        .string()
        .regex(/^[^\0]*$/)
        .meta({
          description:
            'PEM bundle of the CAs that client certificates must chain to (mutual TLS, with `tls.clientAuth`); empty: none.',
          allowed: 'a file path without NUL, or empty',
        }),
      clientAuth: z
        .enum(CLIENT_AUTH)
        .describe(
          '`off` asks for no client certificate; `request` asks, and a handler sees the subject of one that verifies against `tls.ca` (`req.tls.clientSubject`); `require` refuses a handshake without one.',
        ),
      minVersion: z
        .enum(TLS_VERSIONS)
        .describe('Oldest TLS version accepted; nothing older than TLS 1.2 is ever offered.'),
      ciphers: z
        .string()
        .regex(/^[A-Za-z0-9_:+!@=.-]+$/)
        .meta({
          description:
            "OpenSSL cipher list, TLS 1.3 suites and TLS 1.2 ciphers in one `:`-separated list; the default is Mozilla's intermediate profile (AEAD with forward secrecy only).",
          allowed: 'OpenSSL cipher names separated by ":"',
        }),
      curves: z
        .string()
        .regex(/^[A-Za-z0-9_:-]+$/)
        .meta({
          description:
            'Key-exchange groups in order of preference, `:`-separated (Mozilla intermediate: X25519, P-256, P-384).',
          allowed: 'OpenSSL group names separated by ":"',
        }),
      handshakeTimeoutMs: ms().describe(
        "A TLS handshake must finish within this of the connection's accept (never extended by a trickle of bytes), else the connection is closed and counted.",
      ),
      maxHandshakes: count(1).describe(
        'TLS handshakes a worker runs at once; a newcomer beyond it closes the oldest one still under way (the likeliest to be stalled), so stalled handshakes cannot lock real clients out. While more than a quarter of it are under way, newcomers wait for their first complete TLS record before they count (a client still short of it holds only a plain socket, bounded by connections.maxConnections and the deadline).',
      ),
      ticketRotationMs: z
        .int()
        .min(60_000)
        .max(MAX_TIMER_MS)
        .describe(
          'How often the primary rotates the session-ticket keys it shares with every worker, and how long a ticket lives: a client resumes on any worker, across a rolling restart and across a rotation.',
        ),
      httpPort: z
        .int()
        .min(0)
        .max(65535)
        .describe(
          'With TLS on, a plain-HTTP port beside the main one, answering as `tls.httpMode` says; 0: none.',
        ),
      httpMode: z
        .enum(['redirect', 'serve'])
        .describe(
          '`redirect`: every request on `tls.httpPort` but the health paths gets `308` to the same URL over https; `serve`: the application answers it as on the TLS port.',
        ),
      hsts: z
        .string()
        .regex(/^(?:max-age=\d{1,10}(?:; ?includeSubDomains)?(?:; ?preload)?)?$/)
        .meta({
          description:
            '`Strict-Transport-Security` value for every answer over TLS (RFC 6797), e.g. `max-age=63072000; includeSubDomains`; empty sends none. Never sent over plain HTTP.',
          allowed: "'max-age=SECONDS' with optional '; includeSubDomains' and '; preload', or empty",
        }),
      trustForwardedProto: z
        .boolean()
        .describe(
          "Take a plain request's scheme (`req.scheme`, the fetch adapter's `request.url`) from `X-Forwarded-Proto`: only behind a proxy that terminates TLS and sets that field; otherwise a client could forge it.",
        ),
    })
    .superRefine((t, ctx) => {
      if ((t.cert === '') !== (t.key === '')) {
        const missing = t.cert === '' ? 'cert' : 'key';
        ctx.addIssue({ code: 'custom', path: [missing], message: 'tls.cert and tls.key go together' });
      }
      if (t.cert === '') {
        for (const key of ['ca', 'clientAuth', 'httpPort', 'hsts'] as const) {
          const set =
            key === 'clientAuth'
              ? t.clientAuth !== 'off'
              : key === 'httpPort'
                ? t.httpPort !== 0
                : t[key] !== '';
          if (set)
            ctx.addIssue({ code: 'custom', path: [key], message: 'needs TLS on (tls.cert and tls.key)' });
        }
      } else if (t.clientAuth !== 'off' && t.ca === '') {
        ctx.addIssue({
          code: 'custom',
          path: ['ca'],
          message: `tls.clientAuth ${t.clientAuth} needs tls.ca`,
        });
      }
    }),
});

/** Recursively read-only: a `Config` is frozen at run time and typed so. */
export type DeepReadonly<T> = T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The validated configuration every other module reads. */
export type Config = DeepReadonly<z.output<typeof configSchema>>;

/** What a config file, the defaults or the overlays may hold (`workers` may be `"auto"`). */
export type ConfigInput = z.input<typeof configSchema>;
