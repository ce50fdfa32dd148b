/**
 * A worker's TLS side: the engine's TLS options from the configuration and what the primary
 * handed over (tls-owner.ts: PEM material checked there, the shared ticket-key ring), the
 * `Strict-Transport-Security` field on answers over TLS (RFC 6797 §7.2: never over plain HTTP),
 * and the optional plain-HTTP listener beside the TLS port (`tls.httpPort`): it either serves the
 * application as the TLS port does, or answers `308 Permanent Redirect` to the same URL over
 * https (RFC 9110 §15.4.9: method and body kept), the health paths excepted so a plain-HTTP probe
 * still works.
 * Must not: read certificate files (the primary did), or decide anything about a worker's life.
 */

import type { Config } from '../config/index.ts';
import { createServer } from '../server/index.ts';
import type { Handler, Request, Response, Server, ServerOptions } from '../server/index.ts';
import type { TlsHandoff } from './messages.ts';

/** The engine's `tls` option, or undefined when TLS is off. */
export function engineTls(config: Config, handoff: TlsHandoff | null): ServerOptions['tls'] {
  if (config.tls.cert === '') return undefined;
  if (handoff === null) throw new Error('tls.cert is set but the primary sent no TLS material');
  return { ...config.tls, material: handoff.material, ticketKeys: handoff.ticketKeys };
}

/** `handler` with `Strict-Transport-Security` added to every answer over TLS, when configured. */
export function withHsts(handler: Handler, config: Config): Handler {
  const value = config.tls.hsts;
  if (value === '' || config.tls.cert === '') return handler;
  return (req: Request, res: Response) => {
    if (req.tls !== null) res.header('Strict-Transport-Security', value);
    return handler(req, res);
  };
}

/**
 * The plain-HTTP server beside the TLS one (not yet listening), or null when `tls.httpPort` is 0.
 * `handler` is the worker's wrapped handler (health paths first); in `redirect` mode it sees only
 * the health paths.
 */
export function plainServer(config: Config, handler: Handler, options: ServerOptions): Server | null {
  const t = config.tls;
  if (t.cert === '' || t.httpPort === 0) return null;
  const { livePath, readyPath, mainPort } = config.health;
  const health = mainPort ? new Set([livePath, readyPath]) : new Set<string>();
  const serve: Handler =
    t.httpMode === 'serve'
      ? handler
      : (req, res) => (health.has(req.path) ? handler(req, res) : redirect(req, res, config.port));
  return createServer(serve, { ...options, port: t.httpPort, tls: undefined });
}

/** 308 to `https://host[:port]/target`: the Host's name, the TLS port (omitted when 443). */
function redirect(req: Request, res: Response, httpsPort: number): void {
  req.route = 'redirect';
  const host = hostName(req.host === '' ? 'localhost' : req.host);
  const port = httpsPort === 443 ? '' : `:${httpsPort}`;
  const target = req.target.startsWith('/') ? req.target : '/';
  res
    .status(308)
    .header('Location', `https://${host}${port}${target}`)
    .header('Cache-Control', 'no-store')
    .send();
}

/** The host of a Host value, without its port (`[::1]:80` → `[::1]`). */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}
