/**
 * The live status page, `GET /status` on the metrics port: one self-contained HTML document
 * (its style and script inline, status-page-script.ts; nothing fetched from anywhere else),
 * rendered by the primary with the cluster as it is now — the header, a banner when degraded,
 * rolling or draining, the worker table and the latest events — so that without JavaScript it is
 * a plain page (refreshed every 5 s through a <noscript> refresh), and with JavaScript it
 * becomes live: the script opens `/status/events` and redraws from there, adding the lanes of
 * the timeline and the sparklines.
 * Must not: put unescaped data into the page, or allow any script or style but its own (the
 * Content-Security-Policy names their hashes).
 */

import { createHash } from 'node:crypto';
import type { ClusterStatus } from './control-protocol.ts';
import { formatUptime, STATUS_COLUMNS, statusCells } from './status-format.ts';
import type { TimelineEvent } from './status-model.ts';
import { STATUS_SCRIPT, STATUS_STYLE } from './status-page-script.ts';

/** Events listed in the page as rendered (the script keeps up to 200 once live). */
const LISTED_EVENTS = 50;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * Nothing but the page's own script and style, its event stream on the same origin, and no
 * framing: the page shows PIDs and the configuration's checksum, so it must not leak elsewhere.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(STATUS_SCRIPT)}`,
  `style-src ${hash(STATUS_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function renderStatusPage(status: ClusterStatus, timeline: readonly TimelineEvent[]): string {
  const s = status;
  const banner = bannerText(s);
  const rows = s.workers.map((w) => {
    const cells = statusCells(w)
      .map((c) => `<td>${escapeHtml(c)}</td>`)
      .join('');
    const attrs = `class="${w.state}" data-slot="${w.slot}" data-pid="${w.pid ?? ''}" data-generation="${w.generation ?? ''}" data-state="${w.state}"`;
    return `<tr ${attrs}>${cells}</tr>`;
  });
  const events = timeline
    .slice(-LISTED_EVENTS)
    .reverse()
    .map((e) => {
      const at = new Date(e.at);
      return `<li data-kind="${e.kind}"><time datetime="${at.toISOString()}">${at.toTimeString().slice(0, 8)}</time>${escapeHtml(e.text)}</li>`;
    });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>Samovar · ${s.state} · gen ${s.generation}</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>${STATUS_STYLE}</style>
</head>
<body data-state="${s.state}" data-generation="${s.generation}">
<main>
<header>
<h1>Samovar</h1>
<span id="state" class="badge ${s.state}">${s.state}</span>
<span id="live" class="live">not live: this page refreshes every 5 s</span>
</header>
<ul class="facts">
<li>generation <b id="generation">${s.generation}</b></li>
<li>config <b id="checksum">${s.configChecksum}</b></li>
<li>ready <b id="ready">${s.readyWorkers}/${s.wantedWorkers}</b></li>
<li>serving <b>${escapeHtml(s.address)}</b></li>
<li>primary <b id="pid">${s.pid}</b></li>
<li>up <b id="uptime">${formatUptime(s.at - s.startedAt)}</b></li>
<li>log <b id="loglevel">${s.logLevel}</b></li>
</ul>
<div id="banner" class="${s.state}"${banner === '' ? ' hidden' : ''}>${escapeHtml(banner)}</div>
<section>
<h2>Timeline <span class="window" aria-label="time window"><button type="button" data-ms="60000" aria-pressed="false">1 min</button><button type="button" data-ms="300000" aria-pressed="true">5 min</button><button type="button" data-ms="1800000" aria-pressed="false">30 min</button></span></h2>
<div><svg id="lanes" role="img" aria-label="one lane per worker slot: each worker from spawn to exit, coloured by generation" height="40"></svg></div>
<p class="legend lanes">Each bar is a worker: faint while starting, solid while ready, hatched while draining; the tick at its end is its exit (red: crash, hang or failed boot). Colours follow the generation; vertical lines are reloads.</p>
<noscript><p class="note">The timeline and the sparklines need JavaScript; the table below is the cluster as of this page's load.</p></noscript>
</section>
<section>
<h2>Workers</h2>
<div class="scroll">
<table id="workers">
<thead><tr>${STATUS_COLUMNS.map((c) => `<th scope="col">${c}</th>`).join('')}</tr></thead>
<tbody id="rows">
${rows.join('\n')}
</tbody>
</table>
</div>
<p class="legend">REQ/S and P99 are over the last heartbeat interval; LAG is the event loop's mean / max delay.</p>
</section>
<section>
<h2>Events</h2>
<ol id="events">
${events.join('\n')}
</ol>
</section>
</main>
<script>${STATUS_SCRIPT}</script>
</body>
</html>
`;
}

function bannerText(s: ClusterStatus): string {
  switch (s.state) {
    case 'draining':
      return 'Draining: the cluster is shutting down; readiness answers 503.';
    case 'degraded':
      return `Degraded: ${s.readyWorkers} of ${s.wantedWorkers} workers ready (health ${s.health}).`;
    case 'rolling':
      return `Rolling restart: generation ${s.generation} is rolling out, one slot at a time.`;
    default:
      return '';
  }
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}
