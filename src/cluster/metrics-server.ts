/**
 * The primary's metrics port, served by Samovar's own engine (never node:http):
 *   - `GET /metrics`: the whole cluster in the Prometheus text format (every worker, the totals
 *     of retired ones, the primary itself);
 *   - `GET /healthz`: the primary is alive (200);
 *   - `GET /readyz`: the cluster's readiness, the same answer the workers give on the main port;
 *   - `GET /admin/log-level`, and `PUT /admin/log-level` with a level name as the body, when
 *     `metrics.admin` is on: the primary and every worker log at that level from now on;
 *   - `GET /status`, `/status/events`, `/status.json`: the live status page (status-routes.ts).
 * Must not: aggregate or supervise (the primary does); it only answers over HTTP.
 */

import type { Config } from '../config/index.ts';
import { isLogLevel, LOG_LEVELS } from '../log/index.ts';
import type { LogLevel } from '../log/index.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/index.ts';
import { createServer, HttpError, Router, serverOptions } from '../server/index.ts';
import type { ErrorHook, ProtocolErrorHook, Response, Server } from '../server/index.ts';
import type { Readiness } from './health.ts';
import type { StatusSource } from './operator-console.ts';
import { addStatusRoutes } from './status-routes.ts';

export const METRICS_PATH = '/metrics';
export const LOG_LEVEL_PATH = '/admin/log-level';
/** A level name is a few bytes; anything longer is not one. */
const MAX_LEVEL_BODY_BYTES = 64;

/** What the metrics port needs from the primary. */
export interface MetricsHost {
  scrape(): Promise<string>;
  readiness(): Readiness;
  readonly logLevel: LogLevel;
  setLogLevel(level: LogLevel, source: string): void;
}

export interface MetricsServerHooks {
  readonly onError: ErrorHook;
  readonly onProtocolError: ProtocolErrorHook;
  /** The status page's source (the primary's console); without it, no `/status` routes. */
  readonly status?: StatusSource;
}

export function createMetricsServer(host: MetricsHost, config: Config, hooks: MetricsServerHooks): Server {
  const router = new Router()
    .get(METRICS_PATH, async (_req, res) => {
      const text = await host.scrape();
      noStore(res).header('Content-Type', PROMETHEUS_CONTENT_TYPE).send(text);
    })
    .get(config.health.livePath, (_req, res) => noStore(res).send('ok\n'))
    .get(config.health.readyPath, (_req, res) => {
      const { ok, body } = host.readiness();
      noStore(res)
        .status(ok ? 200 : 503)
        .json(body);
    });
  if (hooks.status !== undefined) addStatusRoutes(router, hooks.status);
  if (config.metrics.admin) {
    router
      .get(LOG_LEVEL_PATH, (_req, res) => noStore(res).json({ level: host.logLevel }))
      .put(LOG_LEVEL_PATH, async (req, res) => {
        const level = (await req.body.text(MAX_LEVEL_BODY_BYTES)).trim();
        if (!isLogLevel(level)) throw new HttpError(400, `level must be one of ${LOG_LEVELS.join(', ')}`);
        host.setLogLevel(level, `PUT ${LOG_LEVEL_PATH} from ${req.remoteAddress}`);
        noStore(res).json({ level });
      });
  }
  const options = serverOptions({
    host: config.metrics.host,
    port: config.metrics.port,
    // Few, short clients: a small cap with idle eviction, a short head timeout (docs/hardening.md).
    connections: { maxConnections: config.metrics.maxConnections, evictIdle: true },
    timeouts: {
      headersTimeoutMs: config.metrics.headersTimeoutMs,
      idleTimeoutMs: config.metrics.idleTimeoutMs,
    },
    onError: hooks.onError,
    onProtocolError: hooks.onProtocolError,
  });
  return createServer(router.handler(), options);
}

function noStore(res: Response): Response {
  return res.header('Cache-Control', 'no-store');
}
