/**
 * HTTPS on the engine (issue 17), with certificates made in the test (harness/tls/certs.ts) and
 * real clients: node:tls, undici, raw sockets. What each case proves is in its name; the TLS
 * layer is src/server/tls-listener.ts.
 */

import net from 'node:net';
import { Duplex, duplexPair } from 'node:stream';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { issue, makeCa, type Ca, type Pem } from '../../harness/tls/certs.ts';
import { fetchHandler } from '../../src/fetch/index.ts';
import { serve } from '../../src/serve.ts';
import { bytesTaken } from '../../src/server/connection-output.ts';
import type { Handler, Request } from '../../src/server/index.ts';
import { TicketKeyRing, type TlsMaterial } from '../../src/tls/index.ts';
import { cleanup, sleep, startServer, waitUntil, type TestServer } from '../support/server.ts';
import { echoRouter, keepFilling, patternBody } from '../support/shared-buffer.ts';

let ca: Ca;
let server1: Pem;
let server2: Pem;
let alice: Pem;
let otherCa: Ca;
let mallory: Pem;

beforeAll(async () => {
  ca = await makeCa();
  server1 = await issue(ca, { serial: '5A0001' });
  server2 = await issue(ca, { serial: '5A0002' });
  alice = await issue(ca, { cn: 'alice', client: true });
  otherCa = await makeCa('Other CA');
  mallory = await issue(otherCa, { cn: 'mallory', client: true });
});
afterEach(cleanup);

const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
});

function material(pem: Pem, clientCa = ''): TlsMaterial {
  return { cert: pem.cert, key: pem.key, ca: clientCa };
}

/** Echoes what the request knows about its TLS connection. */
const facts: Handler = (req: Request, res) => {
  const t = req.tls;
  res.json({
    scheme: req.scheme,
    tls: t && {
      protocol: t.protocol,
      cipher: t.cipher,
      servername: t.servername,
      resumed: t.resumed,
      clientSubject: t.clientSubject,
    },
  });
};

async function startTls(handler: Handler, tlsOptions: Record<string, unknown> = {}): Promise<TestServer> {
  return startServer(handler, {
    tls: { material: material(server1), ...tlsOptions },
  });
}

/** One TLS connection: resolves with the socket once the handshake is done, or rejects. */
function connect(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: ca.cert, servername: 'localhost', ...options });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** GET / over a fresh TLS connection: the status line and body, then the connection closes. */
async function get(port: number, options: tls.ConnectionOptions = {}): Promise<string> {
  const socket = await connect(port, options);
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.end('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  });
}

/**
 * One request over a new connection offering `session`; resolves with whether it resumed and the
 * last session ticket the server sent (TLS 1.3 sends them after the handshake).
 */
function resumeOnce(
  port: number,
  session: Buffer | undefined,
): Promise<{ resumed: boolean; session?: Buffer }> {
  return new Promise((resolve, reject) => {
    let last: Buffer | undefined;
    let resumed = false;
    const socket = tls.connect(
      { port, host: '127.0.0.1', ca: ca.cert, servername: 'localhost', ...(session ? { session } : {}) },
      () => {
        resumed = socket.isSessionReused();
        socket.end('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      },
    );
    socket.on('session', (s: Buffer) => (last = s));
    socket.on('data', () => {});
    socket.on('error', reject);
    socket.on('close', () => resolve(last === undefined ? { resumed } : { resumed, session: last }));
  });
}

/** The first flight of a real node:tls client (its ClientHello record), captured without a server. */
function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const [ours, theirs] = duplexPair();
    theirs.once('data', (flight: Buffer) => {
      resolve(Buffer.from(flight));
      ours.destroy();
      theirs.destroy();
    });
    tls.connect({ socket: ours, servername: 'localhost', ca: ca.cert }).on('error', () => {});
  });
}

/** A raw connection that sends `bytes` and then nothing. */
function stall(port: number, bytes: Buffer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      // Reads (and drops) the server's answer, so that its close is seen.
      socket.resume();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** A TCP connection for a TLS client whose first write (its ClientHello) leaves in two pieces split at `cut`, a turn apart. */
function splitFirstWrite(port: number, cut: number): Duplex {
  const tcp = net.connect(port, '127.0.0.1');
  let first = true;
  const duplex = new Duplex({
    write(chunk: Buffer, _encoding, done) {
      if (!first) return void tcp.write(chunk, done);
      first = false;
      tcp.write(chunk.subarray(0, cut));
      setImmediate(() => tcp.write(chunk.subarray(cut), done));
    },
    read() {},
    final(done) {
      tcp.end();
      done();
    },
    destroy(error, done) {
      tcp.destroy();
      done(error);
    },
  });
  tcp.on('data', (d: Buffer) => duplex.push(d));
  tcp.on('end', () => duplex.push(null));
  tcp.on('error', (e) => duplex.destroy(e));
  return duplex;
}

function bodyOf(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

function serialSeen(port: number): Promise<string> {
  return connect(port).then((socket) => {
    const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
    socket.destroy();
    return serial;
  });
}

describe('HTTPS on the engine', () => {
  it('serves undici over TLS 1.3 with the intermediate profile, and tells the handler its TLS facts', async () => {
    const s = await startTls(facts);
    const agent = new Agent({ connect: { ca: ca.cert, servername: 'localhost' } });
    agents.push(agent);
    const res = await request(`https://127.0.0.1:${s.port}/`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as { scheme: string; tls: Record<string, unknown> };
    expect(body.scheme).toBe('https');
    expect(body.tls).toMatchObject({ protocol: 'TLSv1.3', servername: 'localhost', clientSubject: '' });
    expect(String(body.tls.cipher)).toMatch(/^TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305)_SHA(256|384)$/);
    expect(s.server.tls?.stats.completed).toBe(1);
  });

  it('negotiates TLS 1.2 with an ECDHE AEAD cipher, and refuses it when tls.minVersion is TLSv1.3', async () => {
    const s = await startTls(facts);
    const body = bodyOf(await get(s.port, { maxVersion: 'TLSv1.2' }));
    expect(body.tls).toMatchObject({ protocol: 'TLSv1.2' });
    expect(String((body.tls as { cipher: string }).cipher)).toMatch(
      /^ECDHE-ECDSA-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/,
    );
    // A CBC or non-forward-secret cipher is never agreed to.
    await expect(
      connect(s.port, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:ECDHE-ECDSA-AES128-SHA' }),
    ).rejects.toThrow();
    const strict = await startTls(facts, { minVersion: 'TLSv1.3' });
    await expect(connect(strict.port, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    await waitUntil(() => strict.server.tls?.stats.failed.protocol === 1, 2000, 'the protocol failure count');
  });

  it('refuses a client that offers only h2 through ALPN with the no_application_protocol alert', async () => {
    const s = await startTls(facts);
    await expect(connect(s.port, { ALPNProtocols: ['h2'] })).rejects.toMatchObject({
      code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
    });
    const ok = await connect(s.port, { ALPNProtocols: ['h2', 'http/1.1'] });
    expect(ok.alpnProtocol).toBe('http/1.1');
    ok.destroy();
  });

  it('answers plain HTTP on the TLS port with a plain 400 and a close, never a hang', async () => {
    const s = await startTls(facts);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(s.port, '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let got = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (got += d));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('Connection: close');
    expect(s.server.tls?.stats.failed.protocol).toBe(1);
  });

  it('cuts a handshake that stalls after half a ClientHello at the handshake deadline, counted as timeout', async () => {
    const s = await startTls(facts, { handshakeTimeoutMs: 300 });
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = net.connect(s.port, '127.0.0.1', () =>
        socket.write(Buffer.from('16030100c8010000c40303', 'hex')),
      );
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - started));
    });
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(2000);
    expect(s.server.tls?.stats.failed.timeout).toBe(1);
    expect(s.server.stats.closed.timeout).toBe(1);
  });

  it('a client dripping a byte every 100 ms is still cut at the deadline: it runs from accept, not from the last byte', async () => {
    const s = await startTls(facts, { handshakeTimeoutMs: 400 });
    const hello = Buffer.from('16030100c8010000c4030300000000000000000000000000', 'hex');
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = net.connect(s.port, '127.0.0.1');
      let i = 0;
      const drip = setInterval(() => {
        if (i < hello.length && !socket.destroyed) socket.write(hello.subarray(i, ++i));
      }, 100);
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(drip);
        resolve(Date.now() - started);
      });
    });
    expect(closedAfter).toBeLessThan(1500);
    expect(s.server.tls?.stats.failed.timeout).toBe(1);
  });

  it('bounds concurrent handshakes: beyond tls.maxHandshakes a newcomer closes the oldest one under way', async () => {
    const s = await startTls(facts, { maxHandshakes: 3, handshakeTimeoutMs: 5000 });
    const hello = await clientHello();
    const stalled: net.Socket[] = [];
    const closed: boolean[] = [false, false, false];
    for (let i = 0; i < 3; i++) {
      // A whole ClientHello, then silence: the server has answered it and waits for the client.
      const socket = await stall(s.port, hello);
      socket.on('error', () => {});
      socket.on('close', () => (closed[i] = true));
      stalled.push(socket);
      await waitUntil(() => s.server.tls?.handshaking === i + 1, 2000, `handshake ${i + 1} under way`);
    }
    // A real client still gets through: the oldest stalled one makes room.
    expect(bodyOf(await get(s.port)).scheme).toBe('https');
    await waitUntil(() => closed[0] === true, 2000, 'the oldest stalled handshake to be closed');
    expect(closed.slice(1)).toEqual([false, false]);
    expect(s.server.tls?.stats.failed.refused).toBe(1);
    for (const socket of stalled) socket.destroy();
    await waitUntil(() => s.server.tls?.stats.inProgress === 0, 2000, 'the stalled handshakes to end');
    expect(s.server.tls?.stats.failed.closed).toBe(2);
  });

  it('clients short of their first record hold no place at the bound: real clients are served beside them, and they meet the deadline', async () => {
    const s = await startTls(facts, { maxHandshakes: 2, handshakeTimeoutMs: 1500 });
    const hello = await clientHello();
    const silent = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stall(s.port, hello.subarray(0, 1 + i * 7))),
    );
    for (const socket of silent) socket.on('error', () => {});
    await waitUntil(() => s.server.tls?.stats.inProgress === 10, 2000, 'ten connections waiting');
    expect(s.server.tls?.handshaking).toBe(0);
    for (let i = 0; i < 3; i++) expect(bodyOf(await get(s.port)).scheme).toBe('https');
    expect(s.server.tls?.stats.failed.refused).toBe(0);
    await waitUntil(() => s.server.tls?.stats.failed.timeout === 10, 4000, 'the deadline to cut all ten');
    expect(s.server.tls?.stats.inProgress).toBe(0);
  });

  it('at the connection cap, a client waiting at the gate makes room for a newcomer instead of locking it out', async () => {
    const s = await startServer(facts, {
      tls: { material: material(server1), maxHandshakes: 2, handshakeTimeoutMs: 5000 },
      connections: { maxConnections: 4 },
    });
    const hello = await clientHello();
    const waiting = await Promise.all(Array.from({ length: 4 }, () => stall(s.port, hello.subarray(0, 20))));
    const closed = waiting.map(() => false);
    waiting.forEach((socket, i) => {
      socket.on('error', () => {});
      socket.on('close', () => (closed[i] = true));
    });
    await waitUntil(() => s.server.tls?.stats.inProgress === 4, 2000, 'four waiting at the gate');
    // The cap is full of stallers; a real client still gets its answer.
    expect(bodyOf(await get(s.port)).scheme).toBe('https');
    await waitUntil(() => closed[0] === true, 2000, 'the oldest waiting client to be closed');
    expect(closed.slice(1)).toEqual([false, false, false]);
    expect(s.server.tls?.stats.failed.refused).toBe(1);
    for (const socket of waiting) socket.destroy();
  });

  it('a ClientHello split at every byte boundary still completes its handshake through the gate', async () => {
    // A bound under 4: the first-record gate is closed from the first connection on.
    const s = await startTls(facts, { maxHandshakes: 2 });
    const length = (await clientHello()).length;
    for (let cut = 1; cut < length; cut++) {
      const text = await get(s.port, { socket: splitFirstWrite(s.port, cut) });
      expect(text, `split at ${cut}`).toMatch(/^HTTP\/1\.1 200 /);
    }
    expect(s.server.tls?.stats.failed.protocol).toBe(0);
    expect(s.server.tls?.stats.completed).toBe(length - 1);
  });

  it('the gate refuses what is not a TLS record or a request line with a close, counted as protocol', async () => {
    const s = await startTls(facts, { maxHandshakes: 2 });
    const closes = (bytes: Buffer): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(s.port, '127.0.0.1', () => socket.write(bytes));
        let got = '';
        socket.setEncoding('latin1');
        socket.on('data', (d: string) => (got += d));
        socket.on('close', () => resolve(got));
        socket.on('error', reject);
      });
    const cases = [
      Buffer.from('15030300020228', 'hex'), // an alert record first
      Buffer.from('8001010300', 'hex'), // an SSLv2-format hello
      Buffer.from('1602010010', 'hex'), // version 2.x
      Buffer.from('1603034001', 'hex'), // a record longer than 2^14
      Buffer.from('1603030000', 'hex'), // an empty record
      Buffer.from('get / HTTP/1.1\r\n\r\n'), // lower-case: not a method
      Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), // no space within a method's length
    ];
    for (const bytes of cases) expect(await closes(bytes), bytes.toString('hex')).toBe('');
    expect(s.server.tls?.stats.failed.protocol).toBe(cases.length);
    // An upper-case method: the plain 400, whatever the method.
    expect(await closes(Buffer.from('DELETE /x HTTP/1.1\r\n\r\n'))).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('closes the gate while garbage and plain HTTP pour in, and opens it again once they stop', async () => {
    // A bound of 8: the gate closes above 2 connections mid-handshake, or above 2 refused lately.
    const s = await startTls(facts, { maxHandshakes: 8, handshakeTimeoutMs: 5000 });
    const partial = (await clientHello()).subarray(0, 20);
    const refused = (bytes: Buffer): Promise<void> =>
      new Promise((resolve) => {
        // Written without a FIN: the server closes it when it has refused it.
        const socket = net.connect(s.port, '127.0.0.1', () => socket.write(bytes));
        socket.on('error', () => {});
        socket.resume().on('close', () => resolve());
      });
    const waiting = async (): Promise<number | undefined> => {
      const socket = await stall(s.port, partial);
      socket.on('error', () => {});
      await waitUntil(() => s.server.tls?.stats.inProgress === 1, 2000, 'one handshake under way');
      const handshaking = s.server.tls?.handshaking;
      socket.destroy();
      await waitUntil(() => s.server.tls?.stats.inProgress === 0, 2000, 'the handshake to end');
      return handshaking;
    };
    // At ease a connection goes to node:tls at once, its first record whole or not.
    expect(await waiting()).toBe(1);
    await refused(Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ'));
    await refused(Buffer.alloc(512, 0xa5));
    await refused(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await waitUntil(() => s.server.tls?.stats.failed.protocol === 3, 2000, 'three refused');
    // Three refused: the next one waits at the gate for its first record, holding no TLS socket.
    expect(await waiting()).toBe(0);
    expect(bodyOf(await get(s.port)).scheme).toBe('https');
    // Two quiet windows (1 s each) later, the gate is open again.
    await sleep(2_100);
    expect(await waiting()).toBe(1);
  });

  it('renews the certificate in place: new handshakes see the new serial, an open keep-alive connection goes on', async () => {
    const s = await startTls((_req, res) => res.send('ok'));
    const kept = await connect(s.port);
    expect(kept.getPeerCertificate().serialNumber.toUpperCase()).toBe('5A0001');
    const ask = (): Promise<string> =>
      new Promise((resolve) => {
        kept.once('data', (d: Buffer) => resolve(d.toString('latin1')));
        kept.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      });
    expect(await ask()).toMatch(/^HTTP\/1\.1 200/);
    s.server.setTlsMaterial(material(server2));
    expect(await serialSeen(s.port)).toBe('5A0002');
    expect(await ask()).toMatch(/^HTTP\/1\.1 200/);
    kept.destroy();
  });

  it('mutual TLS, require: no certificate and a foreign one are refused and counted; a valid one is named', async () => {
    const s = await startTls(facts, { clientAuth: 'require', material: material(server1, ca.cert) });
    await expect(get(s.port)).rejects.toThrow();
    await waitUntil(
      () => s.server.tls?.stats.failed.certificate === 1,
      2000,
      'the missing-certificate failure',
    );
    await get(s.port, { cert: mallory.cert, key: mallory.key }).catch(() => '');
    await waitUntil(
      () => s.server.tls?.stats.failed.certificate === 2,
      2000,
      'the foreign-certificate failure',
    );
    const body = bodyOf(await get(s.port, { cert: alice.cert, key: alice.key }));
    expect(body.tls).toMatchObject({ clientSubject: 'CN=alice' });
  });

  it('mutual TLS, request: a client without a certificate is served, one with a foreign certificate is not named', async () => {
    const s = await startTls(facts, { clientAuth: 'request', material: material(server1, ca.cert) });
    expect(bodyOf(await get(s.port)).tls).toMatchObject({ clientSubject: '' });
    expect(bodyOf(await get(s.port, { cert: mallory.cert, key: mallory.key })).tls).toMatchObject({
      clientSubject: '',
    });
    expect(bodyOf(await get(s.port, { cert: alice.cert, key: alice.key })).tls).toMatchObject({
      clientSubject: 'CN=alice',
    });
  });

  it('two servers given one ticket-key ring resume each other’s sessions, also across a rotation', async () => {
    const ring = new TicketKeyRing();
    const a = await startTls(facts, { ticketKeys: ring.list() });
    const b = await startTls(facts, { ticketKeys: ring.list() });
    expect(a.server.tls?.ringMode).toBe(true);
    let session: Buffer | undefined;
    let resumed = 0;
    const rounds = 40;
    for (let i = 0; i < rounds; i++) {
      if (i === 20) {
        ring.rotate();
        a.server.setTicketKeys(ring.list());
        b.server.setTicketKeys(ring.list());
      }
      const port = i % 2 === 0 ? a.port : b.port;
      const result = await resumeOnce(port, session);
      if (result.resumed) resumed++;
      session = result.session ?? session;
    }
    // The first connection has nothing to resume; every other one resumes, the rotation included.
    expect(resumed).toBe(rounds - 1);
    expect((a.server.tls?.stats.resumed ?? 0) + (b.server.tls?.stats.resumed ?? 0)).toBe(rounds - 1);
  });

  it('servers with their own rings do not resume each other (what the shared ring fixes)', async () => {
    const a = await startTls(facts);
    const b = await startTls(facts);
    const { session } = await resumeOnce(a.port, undefined);
    const second = await connect(b.port, { session });
    expect(second.isSessionReused()).toBe(false);
    second.destroy();
  });

  it('measures write progress under TLS on the TCP socket, so a slow steady reader is seen moving', async () => {
    let serverSocket: tls.TLSSocket | null = null;
    const s = await startTls((_req, res) => {
      serverSocket = (res as unknown as { host: { socket: tls.TLSSocket } }).host.socket;
      res.send(Buffer.alloc(8 << 20, 0x61));
    });
    const client = await connect(s.port);
    client.pause();
    client.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await waitUntil(() => serverSocket !== null, 2000, 'the handler');
    await sleep(200);
    const before = bytesTaken(serverSocket as unknown as net.Socket);
    let read = 0;
    client.on('data', (d: Buffer) => {
      read += d.length;
      if (read > 2 << 20) client.pause();
    });
    client.resume();
    await waitUntil(() => read > 2 << 20, 3000, 'the client to read 2 MiB');
    await sleep(100);
    expect(bytesTaken(serverSocket as unknown as net.Socket) - before).toBeGreaterThan(1 << 20);
    client.destroy();
  });
});

describe('decrypted reads into the shared buffer (socket-reads.ts adoptTlsReads)', () => {
  /** One request over a new TLS connection, then its end: the raw answer. */
  async function exchange(port: number, request: Buffer): Promise<Buffer> {
    const socket = await connect(port);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
      socket.end(request);
    });
  }

  it('keeps every body piece handed out or waiting intact while other connections reuse the buffer', async () => {
    const s = await startTls(echoRouter(60).handler());
    const noise = await connect(s.port);
    noise.resume();
    const stopNoise = keepFilling((text) => noise.write(text));
    try {
      // Past one 16 KiB TLS record, past one 64 KiB read, and a head split from its body.
      for (const size of [100, 5_000, 17_000, 40_000, 70_000, 200_000]) {
        for (const path of ['/pieces', '/late']) {
          const body = patternBody(size);
          const head = Buffer.from(
            `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
          );
          const answer = await exchange(s.port, Buffer.concat([head, body]));
          expect(answer.subarray(0, 15).toString('latin1'), `${path} ${size}`).toBe('HTTP/1.1 200 OK');
          const echoed = answer.subarray(answer.indexOf('\r\n\r\n') + 4);
          expect(echoed.equals(body), `${path} ${size} bytes echoed intact`).toBe(true);
        }
      }
    } finally {
      await stopNoise();
      noise.destroy();
    }
  });
});

describe('the fetch adapter over TLS', () => {
  it("builds request.url with https from the request's own scheme", async () => {
    const s = await startTls(fetchHandler({ fetch: (r: globalThis.Request) => new Response(r.url) }));
    const text = await get(s.port);
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('https://localhost/');
    const plain = await startServer(fetchHandler({ fetch: (r: globalThis.Request) => new Response(r.url) }));
    expect(await (await request(`${plain.url}/x`)).body.text()).toBe(
      `${plain.url.replace('127.0.0.1', '127.0.0.1')}/x`,
    );
  });
});

describe('serve() with TLS', () => {
  it('serves https from PEM text given as tls.material', async () => {
    const running = await serve((req: Request, res) => res.send(req.scheme), {
      host: '127.0.0.1',
      port: 0,
      tls: { material: material(server1) },
    });
    try {
      expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const text = await get(running.address.port);
      expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('https');
    } finally {
      await running.close();
    }
  });
});

describe('req.scheme over plain HTTP', () => {
  it('ignores X-Forwarded-Proto unless told to trust it', async () => {
    const ask = async (s: TestServer): Promise<unknown> => {
      const res = await request(`${s.url}/`, { headers: { 'x-forwarded-proto': 'https, http' } });
      return ((await res.body.json()) as { scheme: string }).scheme;
    };
    expect(await ask(await startServer(facts))).toBe('http');
    expect(await ask(await startServer(facts, { trustForwardedProto: true }))).toBe('https');
  });
});
