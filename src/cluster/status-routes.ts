/**
 * The status page's routes on the metrics port (served by Samovar's own engine, like /metrics):
 *   - `GET /status`: the page (status-page.ts), self-contained, with a strict
 *     Content-Security-Policy;
 *   - `GET /status/events`: its server-sent events (status-stream.ts), 503 once too many pages
 *     are open, so watchers can never take the connections Prometheus needs;
 *   - `GET /status.json`: `samovar status --json` over HTTP, for a script on another host.
 * All read-only: acting on the cluster needs the control socket (or `metrics.admin`'s one path).
 * Must not: build anything itself; the console does.
 */

import type { Response, Router } from '../server/index.ts';
import type { StatusSource } from './operator-console.ts';
import { STATUS_PAGE_CSP } from './status-page.ts';

export const STATUS_PATH = '/status';
export const STATUS_EVENTS_PATH = '/status/events';
export const STATUS_JSON_PATH = '/status.json';

export function addStatusRoutes(router: Router, source: StatusSource): void {
  router
    .get(STATUS_PATH, (_req, res) => {
      secure(res)
        .header('Content-Type', 'text/html; charset=utf-8')
        .header('Content-Security-Policy', STATUS_PAGE_CSP)
        .send(source.page());
    })
    .get(STATUS_EVENTS_PATH, (_req, res) => {
      const events = source.events();
      if (events === null) {
        secure(res).status(503).header('Retry-After', '10').send('too many status pages are open\n');
        return;
      }
      // Proxies that buffer (nginx) would hold the events back: ask them not to.
      return secure(res)
        .header('Content-Type', 'text/event-stream; charset=utf-8')
        .header('X-Accel-Buffering', 'no')
        .stream(events, { flushHead: true });
    })
    .get(STATUS_JSON_PATH, (_req, res) => secure(res).json(source.status()));
}

function secure(res: Response): Response {
  return res
    .header('Cache-Control', 'no-store')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer');
}
