/**
 * The live status page's script and style, inline in the page (no CDN, no build step, no
 * framework): it opens the page's event stream, keeps the timeline and the per-slot series, and
 * redraws the header, the banner, the lanes (one per worker slot: spawn, ready, drain, exit with
 * its reason, coloured by generation), the table with its sparklines, and the event list.
 * The primary sends the table's cells and the events' words already formatted
 * (status-format.ts), so the script only builds DOM — with `textContent` and SVG attributes,
 * never `innerHTML` from data, and under a Content-Security-Policy that allows only these hashes.
 * Must not: fetch anything but its own event stream, or use a template literal (this file is one).
 */

export const STATUS_STYLE = String.raw`
:root { color-scheme: light dark; --bg: #fbfaf7; --fg: #1d1b18; --mute: #6b665e; --line: #e4e0d8;
  --card: #ffffff; --ok: #1f7a3d; --warn: #a15c00; --bad: #b3261e; --roll: #1f5fa8; --hatch: #d08a2e;
  --g0: #2f6fb0; --g1: #2e8b57; --g2: #8a5cc2; --g3: #c26a2e; --g4: #2a9aa0; --g5: #b0447a; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14161a; --fg: #e7e4de; --mute: #9c978e; --line: #2b2f36; --card: #1b1e23;
    --ok: #5cc47f; --warn: #e0a54a; --bad: #ef6f66; --roll: #6fa8ea; --hatch: #e0a54a;
    --g0: #6fa8ea; --g1: #5cc47f; --g2: #b493ea; --g3: #eb9a5e; --g4: #5ccad0; --g5: #e47fb0; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 12px 14px 40px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 16px; }
h1 { font-size: 1.25rem; margin: 0; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; font-weight: 600;
  color: #fff; background: var(--ok); }
.badge.rolling { background: var(--roll); } .badge.degraded { background: var(--warn); }
.badge.draining { background: var(--bad); }
.facts { display: flex; flex-wrap: wrap; gap: 4px 14px; color: var(--mute); font-size: .9rem; margin: 6px 0 0;
  padding: 0; list-style: none; }
.facts b { color: var(--fg); font-weight: 600; font-variant-numeric: tabular-nums; }
.live { color: var(--mute); font-size: .85rem; margin-left: auto; }
.live.on::before { content: "\25CF  "; color: var(--ok); } .live.off::before { content: "\25CB  "; color: var(--bad); }
#banner { margin: 12px 0 0; padding: 8px 12px; border-radius: 8px; font-weight: 600; }
#banner[hidden] { display: none; }
#banner.degraded { background: color-mix(in srgb, var(--warn) 18%, transparent); color: var(--warn); }
#banner.draining { background: color-mix(in srgb, var(--bad) 18%, transparent); color: var(--bad); }
#banner.rolling { background: color-mix(in srgb, var(--roll) 16%, transparent); color: var(--roll); }
section { margin-top: 18px; background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 10px 12px; }
h2 { font-size: 1rem; margin: 0 0 8px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.window { margin-left: auto; display: flex; gap: 4px; }
.window button { font: inherit; font-size: .8rem; border: 1px solid var(--line); background: transparent;
  color: var(--fg); border-radius: 6px; padding: 1px 8px; cursor: pointer; }
.window button[aria-pressed="true"] { background: var(--fg); color: var(--bg); }
#lanes { width: 100%; display: block; }
#lanes text { fill: var(--mute); font-size: 11px; }
#lanes .lane { fill: color-mix(in srgb, var(--line) 45%, transparent); }
#lanes .grid { stroke: var(--line); }
#lanes .bar.starting { opacity: .4; } #lanes .bar.draining { fill: url(#hatch); }
#lanes .hatch-bg { fill: var(--hatch); opacity: .35; } #lanes .hatch-fg { fill: var(--hatch); }
#lanes .label { fill: #fff; font-size: 10px; pointer-events: none; }
#lanes .exit { stroke: var(--fg); stroke-width: 2; } #lanes .exit.bad { stroke: var(--bad); }
#lanes .mark { stroke-width: 1.5; stroke-dasharray: 3 3; stroke: var(--roll); }
#lanes .mark.ok { stroke: var(--ok); stroke-dasharray: none; } #lanes .mark.aborted, #lanes .mark.invalid { stroke: var(--bad); }
.g0 { fill: var(--g0); } .g1 { fill: var(--g1); } .g2 { fill: var(--g2); }
.g3 { fill: var(--g3); } .g4 { fill: var(--g4); } .g5 { fill: var(--g5); }
.legend { color: var(--mute); font-size: .8rem; margin: 4px 0 0; }
html:not(.js) .window, html:not(.js) #lanes, html:not(.js) .legend.lanes { display: none; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--mute); font-weight: 600; font-size: .75rem; letter-spacing: .03em; }
th:nth-child(4), td:nth-child(4), th:last-child, td:last-child { text-align: left; }
tr.draining td { color: var(--mute); } tr.starting td { color: var(--roll); } tr.empty td { color: var(--bad); }
td svg { vertical-align: middle; margin-left: 6px; }
.spark { fill: none; stroke: var(--roll); stroke-width: 1.3; }
ol#events { list-style: none; margin: 0; padding: 0; font-size: .85rem; max-height: 22em; overflow-y: auto; }
ol#events li { padding: 2px 0; border-bottom: 1px dotted var(--line); }
ol#events time { color: var(--mute); margin-right: 8px; font-variant-numeric: tabular-nums; }
.note { color: var(--mute); font-size: .85rem; }
@media (max-width: 640px) { body { font-size: 14px; } main { padding: 8px; } .live { margin-left: 0; } }
`;

export const STATUS_SCRIPT = String.raw`
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var LANE = 26, GAP = 8, LEFT = 54, TOP = 20, SPARK = 60;
  var S = { status: null, timeline: [], series: {}, cells: [], uptime: '', windowMs: 300000, chosen: false, skew: 0 };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var e = tag.indexOf('svg:') === 0 ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clock(t) { return new Date(t).toTimeString().slice(0, 8); }

  function connect() {
    var es = new EventSource(location.pathname.replace(/\/+$/, '') + '/events');
    es.addEventListener('init', function (m) {
      var d = JSON.parse(m.data);
      S.timeline = d.timeline; S.series = d.series;
      renderEvents();
      update(d);
    });
    es.addEventListener('status', function (m) {
      var d = JSON.parse(m.data);
      for (var slot in d.latest) addSample(slot, d.latest[slot]);
      update(d);
    });
    es.addEventListener('timeline', function (m) {
      var e = JSON.parse(m.data);
      S.timeline.push(e);
      if (S.timeline.length > 2000) S.timeline.shift();
      prependEvent(e);
      drawLanes();
    });
    es.onopen = function () { live(true); };
    es.onerror = function () { live(false); };
  }
  function live(on) { var l = $('live'); l.className = 'live ' + (on ? 'on' : 'off'); l.textContent = on ? 'live' : 'reconnecting'; }
  function addSample(slot, s) {
    if (!s) return;
    var a = S.series[slot] || (S.series[slot] = []);
    if (a.length && a[a.length - 1].at >= s.at) return;
    a.push(s);
    if (a.length > 300) a.shift();
  }

  function update(d) {
    S.status = d.status; S.cells = d.view.cells; S.uptime = d.view.uptime;
    S.skew = Date.now() - d.status.at;
    renderHeader(); renderTable(); drawLanes();
  }

  function renderHeader() {
    var s = S.status;
    document.body.setAttribute('data-state', s.state);
    document.body.setAttribute('data-generation', s.generation);
    var b = $('state'); b.textContent = s.state; b.className = 'badge ' + s.state;
    $('generation').textContent = s.generation;
    $('checksum').textContent = s.configChecksum;
    $('ready').textContent = s.readyWorkers + '/' + s.wantedWorkers;
    $('pid').textContent = s.pid;
    $('uptime').textContent = S.uptime;
    $('loglevel').textContent = s.logLevel;
    document.title = 'Samovar \u00b7 ' + s.state + ' \u00b7 gen ' + s.generation;
    var banner = $('banner'), text = '';
    if (s.state === 'draining') text = 'Draining: the cluster is shutting down; readiness answers 503.';
    else if (s.state === 'degraded') text = 'Degraded: ' + s.readyWorkers + ' of ' + s.wantedWorkers + ' workers ready (health ' + s.health + ').';
    else if (s.state === 'rolling') text = 'Rolling restart: generation ' + s.generation + ' is rolling out, one slot at a time.';
    banner.hidden = text === '';
    banner.className = s.state;
    banner.textContent = text;
  }

  function spark(samples, key) {
    var pts = samples.slice(-SPARK).filter(function (p) { return p[key] !== null; });
    var svg = el('svg:svg', { width: 64, height: 18, viewBox: '0 0 64 18', 'aria-hidden': 'true', 'class': 'sparkline' });
    if (pts.length < 2) return svg;
    var max = 0;
    pts.forEach(function (p) { max = Math.max(max, p[key]); });
    var step = 64 / (SPARK - 1), x0 = 64 - step * (pts.length - 1);
    var d = pts.map(function (p, i) { return (x0 + i * step).toFixed(1) + ',' + (17 - (max > 0 ? p[key] / max : 0) * 16).toFixed(1); });
    svg.appendChild(el('svg:polyline', { points: d.join(' '), 'class': 'spark' }));
    return svg;
  }

  function renderTable() {
    var tbody = $('rows');
    var rows = S.status.workers;
    var fresh = document.createDocumentFragment();
    rows.forEach(function (w, i) {
      var tr = el('tr', { 'class': w.state, 'data-slot': w.slot, 'data-pid': w.pid, 'data-generation': w.generation, 'data-state': w.state });
      (S.cells[i] || []).forEach(function (text, c) {
        var td = el('td', {}, text);
        var samples = S.series[w.slot] || [];
        var own = samples.filter(function (p) { return p.workerId === w.workerId; });
        if (c === 5 && w.workerId !== null) td.appendChild(spark(own, 'requestsPerSecond'));
        if (c === 6 && w.workerId !== null) td.appendChild(spark(own, 'p99Ms'));
        tr.appendChild(td);
      });
      fresh.appendChild(tr);
    });
    tbody.replaceChildren(fresh);
  }

  function workers(now) {
    var byId = {};
    S.timeline.forEach(function (e) {
      if (e.workerId === undefined) return;
      var w = byId[e.workerId] || (byId[e.workerId] = { id: e.workerId, slot: e.slot, pid: e.pid, gen: e.generation });
      if (e.kind === 'spawn') w.spawn = e.at;
      else if (e.kind === 'ready') w.ready = e.at;
      else if (e.kind === 'drain') w.drain = e.at;
      else if (e.kind === 'exit') { w.exit = e.at; w.reason = e.reason; w.detail = e.detail; }
    });
    S.status.workers.forEach(function (r) {
      if (r.workerId === null) return;
      var w = byId[r.workerId];
      if (!w) {
        var born = S.status.at - r.uptimeMs;
        w = byId[r.workerId] = { id: r.workerId, slot: r.slot, pid: r.pid, gen: r.generation, spawn: born };
        if (r.state !== 'starting') w.ready = born;
        if (r.state === 'draining') w.drain = now;
      }
      if (w.spawn === undefined) w.spawn = S.status.at - r.uptimeMs;
    });
    return Object.keys(byId).map(function (k) { return byId[k]; });
  }

  function pressed() {
    Array.prototype.forEach.call(document.querySelectorAll('.window button'), function (b) {
      b.setAttribute('aria-pressed', String(Number(b.getAttribute('data-ms')) === S.windowMs));
    });
  }

  function drawLanes() {
    if (!S.status) return;
    // Until the operator picks one: a minute for a young cluster (its whole life fits), else five.
    if (!S.chosen) {
      var fit = S.status.at - S.status.startedAt < 55000 ? 60000 : 300000;
      if (fit !== S.windowMs) { S.windowMs = fit; pressed(); }
    }
    var svg = $('lanes');
    var width = Math.max(320, svg.parentNode.clientWidth - 4);
    var now = Date.now() - S.skew, from = now - S.windowMs;
    var ws = workers(now).filter(function (w) { return w.exit === undefined || w.exit >= from; });
    var slots = {};
    S.status.workers.forEach(function (r) { slots[r.slot] = true; });
    ws.forEach(function (w) { if (w.slot !== undefined) slots[w.slot] = true; });
    var order = Object.keys(slots).map(Number).sort(function (a, b) { return a - b; });
    var height = TOP + order.length * (LANE + GAP) + 4;
    var x = function (t) { return LEFT + ((Math.max(from, Math.min(now, t)) - from) / S.windowMs) * (width - LEFT - 8); };
    var y = function (slot) { return TOP + order.indexOf(slot) * (LANE + GAP); };
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('height', height);
    var g = document.createDocumentFragment();
    var defs = el('svg:defs');
    var pat = el('svg:pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
    pat.appendChild(el('svg:rect', { width: 6, height: 6, 'class': 'hatch-bg' }));
    pat.appendChild(el('svg:rect', { width: 3, height: 6, 'class': 'hatch-fg' }));
    defs.appendChild(pat);
    g.appendChild(defs);
    // Grid lines at least 70 px apart, on round times; seconds shown only when the step needs them.
    var steps = [10000, 15000, 30000, 60000, 120000, 300000, 600000];
    var step = steps.filter(function (v) { return (v / S.windowMs) * (width - LEFT - 8) >= 70; })[0] || 600000;
    for (var t = Math.ceil(from / step) * step; t <= now; t += step) {
      g.appendChild(el('svg:line', { x1: x(t), x2: x(t), y1: 12, y2: height, 'class': 'grid' }));
      if (x(t) + 52 < width) g.appendChild(el('svg:text', { x: x(t) + 2, y: 10 }, step < 60000 ? clock(t) : clock(t).slice(0, 5)));
    }
    order.forEach(function (slot) {
      g.appendChild(el('svg:rect', { x: LEFT, y: y(slot), width: width - LEFT - 8, height: LANE, rx: 4, 'class': 'lane' }));
      g.appendChild(el('svg:text', { x: 4, y: y(slot) + LANE / 2 + 4 }, 'slot ' + slot));
    });
    ws.forEach(function (w) { drawWorker(g, w, x, y, now); });
    S.timeline.forEach(function (e) {
      if (e.kind !== 'reload' || e.at < from) return;
      var line = el('svg:line', { x1: x(e.at), x2: x(e.at), y1: 12, y2: height, 'class': 'mark ' + e.reason, 'data-kind': 'reload', 'data-result': e.reason });
      line.appendChild(el('svg:title', {}, clock(e.at) + ' ' + e.text));
      g.appendChild(line);
    });
    svg.replaceChildren(g);
  }

  function drawWorker(g, w, x, y, now) {
    if (w.slot === undefined) return;
    var top = y(w.slot), end = w.exit !== undefined ? w.exit : now;
    var cls = 'g' + ((w.gen || 0) % 6);
    var title = 'slot ' + w.slot + ' \u00b7 pid ' + w.pid + ' \u00b7 generation ' + w.gen +
      (w.spawn !== undefined ? '\nspawned ' + clock(w.spawn) : '') + (w.ready !== undefined ? ', ready ' + clock(w.ready) : '') +
      (w.drain !== undefined ? ', draining ' + clock(w.drain) : '') +
      (w.exit !== undefined ? '\nexited ' + clock(w.exit) + ': ' + w.reason + ' (' + w.detail + ')' : '');
    var segments = [];
    var start = w.spawn !== undefined ? w.spawn : now;
    var ready = w.ready !== undefined ? w.ready : end;
    var drain = w.drain !== undefined ? w.drain : end;
    segments.push(['starting', start, Math.min(ready, end)]);
    if (w.ready !== undefined) segments.push(['ready', ready, Math.min(drain, end)]);
    if (w.drain !== undefined) segments.push(['draining', drain, end]);
    var group = el('svg:g', { 'data-worker': w.id, 'data-slot': w.slot, 'data-pid': w.pid, 'data-generation': w.gen, 'data-exit': w.reason });
    group.appendChild(el('svg:title', {}, title));
    segments.forEach(function (s) {
      var x1 = x(s[1]), x2 = x(s[2]);
      if (x2 - x1 < 0.5) return;
      group.appendChild(el('svg:rect', { x: x1, y: top + 3, width: x2 - x1, height: LANE - 6, rx: 3, 'class': 'bar ' + s[0] + ' ' + cls }));
    });
    var x1 = x(ready), x2 = x(Math.min(drain, end));
    if (w.ready !== undefined && x2 - x1 > 90)
      group.appendChild(el('svg:text', { x: x1 + 5, y: top + LANE / 2 + 4, 'class': 'label' }, 'gen ' + w.gen + ' \u00b7 ' + w.pid));
    if (w.exit !== undefined && w.exit >= now - S.windowMs) {
      var bad = w.reason === 'crash' || w.reason === 'hang' || w.reason === 'boot';
      group.appendChild(el('svg:line', { x1: x(w.exit), x2: x(w.exit), y1: top, y2: top + LANE, 'class': 'exit' + (bad ? ' bad' : '') }));
    }
    g.appendChild(group);
  }

  function eventItem(e) {
    var li = el('li', { 'data-kind': e.kind });
    li.appendChild(el('time', { datetime: new Date(e.at).toISOString() }, clock(e.at)));
    li.appendChild(document.createTextNode(e.text));
    return li;
  }
  function renderEvents() {
    var ol = $('events'), f = document.createDocumentFragment();
    S.timeline.slice(-200).reverse().forEach(function (e) { f.appendChild(eventItem(e)); });
    ol.replaceChildren(f);
  }
  function prependEvent(e) {
    var ol = $('events');
    ol.insertBefore(eventItem(e), ol.firstChild);
    while (ol.children.length > 200) ol.removeChild(ol.lastChild);
  }

  Array.prototype.forEach.call(document.querySelectorAll('.window button'), function (b) {
    b.addEventListener('click', function () {
      S.windowMs = Number(b.getAttribute('data-ms'));
      S.chosen = true;
      pressed();
      drawLanes();
    });
  });
  window.addEventListener('resize', drawLanes);
  document.documentElement.classList.add('js');
  connect();
})();
`;
