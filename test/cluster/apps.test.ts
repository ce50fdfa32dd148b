/**
 * The front door end to end: each fixture of harness/apps served through the real command
 * (`node src/cli.ts harness/apps/<app>.ts`, one worker), answering the route contract
 * (harness/apps/contract.ts) — and, for the four fetch apps, answering it as the same module does on
 * @hono/node-server (and srvx for the bare fetch app and h3, whose own server it is), started in
 * child processes as oracles: same status, same app headers, same framing, same body, the same
 * server-sent events with the head first, the same count for a 4 MiB streamed upload. The native
 * app has no oracle and is held to the contract alone. Then the client-abort route: a client
 * that leaves while `/slow` waits (a FIN, as closing a socket sends; an RST) fires the request's
 * signal before the wait ends; a request answered in full never does, not even when its
 * connection closes right after.
 * Must not: reach into a worker (the app's ledger is read over HTTP), or share a server between
 * fixtures: one cluster and its oracles per describe block, stopped in afterAll.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  call,
  openRequest,
  readEvents,
  readUntil,
  startOracle,
  upload,
  view,
} from '../support/app-client.ts';
import type { Answer, EventTimeline, Oracle, OracleKind } from '../support/app-client.ts';
import { COOKIES, HELLO, SSE_EVENTS } from '../../harness/apps/contract.ts';
import { sleep, startCluster } from '../../harness/cluster.ts';
import type { Cluster } from '../../harness/cluster.ts';

const UPLOAD_BYTES = 4 * 1024 * 1024;
const UPLOAD_CHUNK_BYTES = 64 * 1024;
/** The events come 50 ms apart (contract.ts); a head sent with the first event arrives with it. */
const HEAD_LEAD_MS = 20;
const MIN_EVENT_GAP_MS = 20;
/** `/slow` waits this long for the abort case: the signal must fire well before it ends. */
const LEAVE_SLOW_MS = 1_500;
const LEAVE_AFTER_MS = 200;
const ECHO_BODY = JSON.stringify({ name: 'Samovar ☕', list: [1, 2.5, null, true], nested: { ok: 'ja' } });

/**
 * One worker, so every request meets the same ledger (`/aborts` counts per process); the body
 * limit above the upload, since Samovar's default (1 MiB) would answer 413 where the oracles,
 * which have none, count.
 */
const CLUSTER_ENV = { SAMOVAR_WORKERS: '1', SAMOVAR_LIMITS_MAX_BODY_BYTES: String(8 * 1024 * 1024) };

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the contract says of the answer, whichever fixture and server wrote it. */
  readonly contract: (answer: Answer) => void;
}

const json = (answer: Answer): unknown => JSON.parse(answer.body) as unknown;

const CASES: readonly Case[] = [
  {
    name: 'GET /',
    method: 'GET',
    path: '/',
    contract: (a) => {
      expect(a.status).toBe(200);
      expect(a.headers['content-type']).toMatch(/^text\/plain/);
      expect(a.body).toBe(HELLO);
    },
  },
  {
    name: 'HEAD /',
    method: 'HEAD',
    path: '/',
    contract: (a) => {
      expect(a.status).toBe(200);
      expect(a.body).toBe('');
    },
  },
  {
    name: 'POST /echo',
    method: 'POST',
    path: '/echo',
    body: ECHO_BODY,
    headers: { 'content-type': 'application/json' },
    contract: (a) => {
      expect(a.status).toBe(200);
      expect(a.headers['content-type']).toMatch(/^application\/json/);
      expect(json(a)).toEqual(JSON.parse(ECHO_BODY));
    },
  },
  {
    name: 'GET /users/:id',
    method: 'GET',
    path: '/users/42',
    contract: (a) => {
      expect(a.status).toBe(200);
      expect(json(a)).toEqual({ id: '42' });
    },
  },
  { name: 'unknown path', method: 'GET', path: '/nope', contract: (a) => expect(a.status).toBe(404) },
  { name: 'GET /boom (throws)', method: 'GET', path: '/boom', contract: (a) => expect(a.status).toBe(500) },
  {
    name: 'GET /slow?ms=20',
    method: 'GET',
    path: '/slow?ms=20',
    contract: (a) => {
      expect(a.status).toBe(200);
      expect(a.body).toBe('waited 20 ms\n');
    },
  },
  {
    name: 'GET /cookies (two Set-Cookie)',
    method: 'GET',
    path: '/cookies',
    contract: (a) => {
      expect(a.status).toBe(200);
      expect(a.headers['set-cookie']).toEqual(COOKIES);
    },
  },
  {
    name: 'GET /old (redirect)',
    method: 'GET',
    path: '/old',
    contract: (a) => {
      expect(a.status).toBe(302);
      expect(a.headers.location).toBe('/');
    },
  },
  {
    name: 'DELETE / (no such route)',
    method: 'DELETE',
    path: '/',
    contract: (a) => {
      expect([404, 405]).toContain(a.status);
      if (a.status === 405) expect(a.headers.allow).toBeDefined();
    },
  },
];

const send = (port: number, c: Case): Promise<Answer> =>
  call(port, c.method, c.path, { body: c.body, headers: c.headers });

/**
 * SSE as the contract says: three events, each on its own beat, and with `headFirst` the head
 * alone before the first (srvx writes the head only with the first chunk, so its answers are
 * compared without that check; Samovar's and @hono/node-server's are held to it).
 */
function expectEventStream(t: EventTimeline, headFirst: boolean): void {
  expect(t.status).toBe(200);
  expect(t.headers['content-type']).toBe('text/event-stream');
  expect(t.data).toEqual(Array.from({ length: SSE_EVENTS }, (_, i) => String(i + 1)));
  const first = t.eventAt[0] ?? 0;
  if (headFirst) {
    expect(first - t.headAt, `head at ${t.headAt} ms, first event at ${first} ms`).toBeGreaterThanOrEqual(
      HEAD_LEAD_MS,
    );
  }
  for (let i = 1; i < t.eventAt.length; i++) {
    expect(
      (t.eventAt[i] ?? 0) - (t.eventAt[i - 1] ?? 0),
      `events at ${t.eventAt.join(', ')} ms`,
    ).toBeGreaterThanOrEqual(MIN_EVENT_GAP_MS);
  }
}

interface Ledger {
  readonly watched: number;
  readonly aborted: number;
}

async function ledger(port: number): Promise<Ledger> {
  return json(await call(port, 'GET', '/aborts')) as Ledger;
}

/** Reads the ledger until `done` holds or `deadline` (performance.now()) passes; the last reading. */
async function ledgerUntil(port: number, done: (l: Ledger) => boolean, deadline: number): Promise<Ledger> {
  let last = await ledger(port);
  while (!done(last) && performance.now() < deadline) {
    await sleep(25);
    last = await ledger(port);
  }
  return last;
}

/**
 * Two answered requests (one sent with `Connection: close`, one on a keep-alive connection the
 * client closes right after the answer) leave the signal alone, then and later.
 */
async function expectQuietSignal(port: number): Promise<void> {
  const before = await ledger(port);
  expect((await call(port, 'GET', '/slow?ms=30')).status).toBe(200);
  const kept = await openRequest(port, '/slow?ms=30');
  await readUntil(kept, 'waited 30 ms\n');
  kept.destroy();
  // Time for a wrongly wired signal (fired on the socket's close) to fire.
  await sleep(200);
  expect(await ledger(port)).toEqual({ watched: before.watched + 2, aborted: before.aborted });
}

/**
 * A client that leaves while `/slow` still waits fires the signal, well before the wait would
 * have ended: `fin` closes the socket as a browser tab or a timed-out proxy does, `rst` resets it.
 */
async function expectSignalWhenLeaving(port: number, how: 'fin' | 'rst'): Promise<void> {
  const before = await ledger(port);
  const sent = performance.now();
  const leaving = await openRequest(port, `/slow?ms=${LEAVE_SLOW_MS}`);
  await sleep(LEAVE_AFTER_MS);
  if (how === 'fin') leaving.destroy();
  else leaving.resetAndDestroy();
  const deadline = sent + LEAVE_SLOW_MS - 200;
  const after = await ledgerUntil(port, (l) => l.aborted > before.aborted, deadline);
  expect(after, `the signal fired after the client's ${how.toUpperCase()}, before /slow ended`).toEqual({
    watched: before.watched + 1,
    aborted: before.aborted + 1,
  });
}

interface FetchFixture {
  readonly name: string;
  readonly file: string;
  readonly oracles: readonly OracleKind[];
  /** Cases whose answer the server writes, not the app (a bare app's throw): status only. */
  readonly serverWritten: readonly string[];
}

const FETCH_FIXTURES: readonly FetchFixture[] = [
  {
    name: 'bare fetch',
    file: 'harness/apps/fetch.ts',
    oracles: ['hono-node', 'srvx'],
    serverWritten: ['GET /boom (throws)'],
  },
  { name: 'Hono', file: 'harness/apps/hono.ts', oracles: ['hono-node'], serverWritten: [] },
  { name: 'itty-router', file: 'harness/apps/itty.ts', oracles: ['hono-node'], serverWritten: [] },
  { name: 'h3', file: 'harness/apps/h3.ts', oracles: ['hono-node', 'srvx'], serverWritten: [] },
];

/**
 * Framing is compared with @hono/node-server only: it frames as Samovar should (Content-Length
 * for a body it knows, chunked for a stream); srvx streams every body chunked, its choice.
 */
const framed = (kind: OracleKind): boolean => kind === 'hono-node';

for (const fixture of FETCH_FIXTURES) {
  describe(`${fixture.name} (${fixture.file}) through the CLI, beside ${fixture.oracles.join(' and ')}`, () => {
    let cluster: Cluster | undefined;
    let oracles: Oracle[] = [];
    const port = (): number => cluster?.port ?? 0;

    beforeAll(async () => {
      // allSettled: whatever started is kept for afterAll to stop, even when another start failed.
      const [ours, ...theirs] = await Promise.allSettled([
        startCluster({ entry: 'src/cli.ts', args: [fixture.file], env: CLUSTER_ENV }),
        ...fixture.oracles.map((kind) => startOracle(kind, fixture.file)),
      ]);
      if (ours?.status === 'fulfilled') cluster = ours.value;
      oracles = theirs.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
      const failed = [ours, ...theirs].find((t) => t?.status === 'rejected');
      if (failed?.status === 'rejected') throw failed.reason;
    });

    afterAll(async () => {
      await Promise.all([cluster?.destroy(), ...oracles.map((o) => o.stop())]);
    });

    it.each(CASES)('$name: the contract, and what the oracles answer', async (c) => {
      const ours = await send(port(), c);
      c.contract(ours);
      for (const oracle of oracles) {
        const theirs = await send(oracle.port, c);
        if (fixture.serverWritten.includes(c.name)) {
          expect(ours.status, `status beside ${oracle.kind}`).toBe(theirs.status);
          continue;
        }
        const withFraming = framed(oracle.kind);
        expect(view(ours, port(), withFraming), `beside ${oracle.kind}`).toEqual(
          view(theirs, oracle.port, withFraming),
        );
      }
    });

    it('GET /sse: the same events as the oracles, the head before the first', async () => {
      const [ours, ...theirs] = await Promise.all([
        readEvents(port(), '/sse'),
        ...oracles.map((o) => readEvents(o.port, '/sse')),
      ]);
      expectEventStream(ours, true);
      expect(ours.headers['transfer-encoding']).toBe('chunked');
      theirs.forEach((t, i) => {
        const kind = oracles[i]?.kind ?? 'hono-node';
        expectEventStream(t, kind === 'hono-node');
        const app = (h: EventTimeline): Answer => ({
          method: 'GET',
          status: h.status,
          headers: h.headers,
          body: h.data.join('|'),
        });
        expect(view(app(ours), 0, framed(kind)), `beside ${kind}`).toEqual(view(app(t), 0, framed(kind)));
      });
    });

    it('POST /upload: 4 MiB streamed in, counted as the oracles count it', async () => {
      const ours = await upload(port(), '/upload', UPLOAD_BYTES, UPLOAD_CHUNK_BYTES);
      expect(ours.status).toBe(200);
      expect(json(ours)).toEqual({ bytes: UPLOAD_BYTES });
      for (const oracle of oracles) {
        const theirs = await upload(oracle.port, '/upload', UPLOAD_BYTES, UPLOAD_CHUNK_BYTES);
        const withFraming = framed(oracle.kind);
        expect(view(ours, port(), withFraming), `beside ${oracle.kind}`).toEqual(
          view(theirs, oracle.port, withFraming),
        );
      }
    });

    it('request.signal stays quiet for requests answered in full', async () => {
      await expectQuietSignal(port());
    });

    it('request.signal fires when the client resets the connection while /slow waits', async () => {
      await expectSignalWhenLeaving(port(), 'rst');
    });

    it('request.signal fires when the client closes the connection (FIN) while /slow waits', async () => {
      await expectSignalWhenLeaving(port(), 'fin');
    });
  });
}

describe('native (harness/apps/native.ts) through the CLI, held to the contract', () => {
  let cluster: Cluster | undefined;
  const port = (): number => cluster?.port ?? 0;

  beforeAll(async () => {
    cluster = await startCluster({ entry: 'src/cli.ts', args: ['harness/apps/native.ts'], env: CLUSTER_ENV });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it.each(CASES)('$name: the contract', async (c) => {
    c.contract(await send(port(), c));
  });

  it("frames as Samovar's handler API says: lengths, types, 405 with Allow", async () => {
    const hello = await call(port(), 'GET', '/');
    expect(hello.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(hello.headers['content-length']).toBe(String(HELLO.length));
    const head = await call(port(), 'HEAD', '/');
    expect(head.headers['content-length']).toBe(String(HELLO.length));
    const echo = await call(port(), 'POST', '/echo', { body: ECHO_BODY });
    expect(echo.headers['content-type']).toBe('application/json; charset=utf-8');
    const wrongMethod = await call(port(), 'DELETE', '/');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toContain('GET');
  });

  it('GET /sse: the head first, then each event', async () => {
    const events = await readEvents(port(), '/sse');
    expectEventStream(events, true);
    expect(events.headers['transfer-encoding']).toBe('chunked');
  });

  it('POST /upload: 4 MiB streamed in and counted', async () => {
    const answer = await upload(port(), '/upload', UPLOAD_BYTES, UPLOAD_CHUNK_BYTES);
    expect(answer.status).toBe(200);
    expect(json(answer)).toEqual({ bytes: UPLOAD_BYTES });
  });

  it('req.signal stays quiet for requests answered in full', async () => {
    await expectQuietSignal(port());
  });

  it('req.signal fires when the client resets the connection while /slow waits', async () => {
    await expectSignalWhenLeaving(port(), 'rst');
  });

  it('req.signal fires when the client closes the connection (FIN) while /slow waits', async () => {
    await expectSignalWhenLeaving(port(), 'fin');
  });
});
