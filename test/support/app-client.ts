/**
 * The client side of the route contract, for test/cluster/apps.test.ts: one request per fresh
 * connection through node:http's parser (an oracle of its own), answers reduced to what can be
 * compared between two servers, server-sent events timed as they arrive, a streamed upload,
 * and raw sockets for the client-abort cases. Also starts and stops the oracle processes
 * (oracle.ts).
 * Must not: know which server it talks to, or hide a difference: every normalisation here is a
 * difference HTTP allows (the port in a URL, how an empty body is framed), named where it is made.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ORACLE = 'test/support/app-oracle.ts';
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Fields each server writes for itself, not for the app: compared as framing (content-length,
 * transfer-encoding) or not at all (the rest; Hono's streamSSE even sets `Connection` and
 * `Transfer-Encoding` as app headers, which a server must own).
 */
const SERVER_FIELDS = new Set([
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'x-request-id',
]);

export interface Answer {
  readonly method: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface CallOptions {
  readonly body?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request on a fresh connection (`agent: false`), the whole answer read as UTF-8. */
export function call(port: number, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: HOST, port, method, path, agent: false, headers: options.headers, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            method,
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * How the body was delimited (RFC 9112 §6): its Content-Length, `chunked`, or `empty` for an
 * empty body however framed — `Content-Length: 0` and a lone last-chunk say the same thing (a
 * HEAD answer's Content-Length is the GET's, so it stays a length).
 */
export function framing(answer: Answer): string {
  if (answer.method === 'HEAD') return headFraming(answer);
  if (answer.body === '' && answer.headers['content-length'] === '0') return 'empty';
  if (answer.body === '' && answer.headers['transfer-encoding'] === 'chunked') return 'empty';
  if (answer.headers['transfer-encoding'] !== undefined) return String(answer.headers['transfer-encoding']);
  const length = answer.headers['content-length'];
  return length === undefined ? 'no Content-Length, not chunked' : `length ${length}`;
}

/** A HEAD answer has no body; its Content-Length, if any, must be the GET's (RFC 9110 §8.6). */
function headFraming(answer: Answer): string {
  const length = answer.headers['content-length'];
  return length === undefined ? 'HEAD, no Content-Length' : `HEAD, length ${length}`;
}

/**
 * A media type with its optional whitespace and case folded (RFC 9110 §8.3.1: `;` may have OWS
 * around it; type, subtype, parameter names and the charset value are case-insensitive). The
 * Fetch Standard writes a string body's type as `text/plain;charset=UTF-8`, @hono/node-server as
 * `text/plain; charset=UTF-8`: the same type.
 */
export function mediaType(value: string): string {
  return value
    .split(';')
    .map((part) => part.trim())
    .map((part, i) => {
      if (i === 0) return part.toLowerCase();
      const eq = part.indexOf('=');
      const name = (eq === -1 ? part : part.slice(0, eq)).toLowerCase();
      const param = eq === -1 ? '' : part.slice(eq + 1);
      return `${name}=${name === 'charset' ? param.toLowerCase() : param}`;
    })
    .join(';');
}

export interface View {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly framing?: string;
  readonly body?: string;
}

/**
 * What must be equal between two servers' answers: the status, every field the app set (not the
 * server's own; Content-Type as a media type), the framing when `withFraming`, and the body with
 * this server's port masked (h3's 404 quotes the request URL).
 */
export function view(answer: Answer, port: number, withFraming: boolean): View {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const name of Object.keys(answer.headers).sort()) {
    const value = answer.headers[name];
    if (SERVER_FIELDS.has(name)) continue;
    headers[name] = name === 'content-type' && typeof value === 'string' ? mediaType(value) : value;
  }
  return {
    status: answer.status,
    headers,
    ...(withFraming ? { framing: framing(answer) } : {}),
    body: answer.body.replaceAll(`${HOST}:${port}`, `${HOST}:PORT`),
  };
}

export interface EventTimeline {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The `data` of each event, in order. */
  readonly data: readonly string[];
  /** Milliseconds from the request to the parsed head. */
  readonly headAt: number;
  /** Milliseconds from the request to the end of each event (its blank line). */
  readonly eventAt: readonly number[];
}

/** Reads an event stream to its end, timing the head and each event (WHATWG HTML §9.2.6). */
export function readEvents(port: number, path: string): Promise<EventTimeline> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const headAt = performance.now() - started;
      const data: string[] = [];
      const eventAt: number[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          data.push(
            lines
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trimStart())
              .join('\n'),
          );
          eventAt.push(performance.now() - started);
        }
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, data, headAt, eventAt }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no end in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * POSTs `totalBytes` in `chunkBytes` pieces, chunked (no Content-Length: the server cannot size
 * a buffer up front), each write waiting for the socket to drain, as a streaming client does.
 */
export function upload(port: number, path: string, totalBytes: number, chunkBytes: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: HOST, port, method: 'POST', path, agent: false, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({ method: 'POST', status: res.statusCode ?? 0, headers: res.headers, body }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    const piece = Buffer.alloc(chunkBytes, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < totalBytes) {
        const n = Math.min(chunkBytes, totalBytes - sent);
        sent += n;
        if (!req.write(n === chunkBytes ? piece : piece.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** A raw keep-alive connection that sends one GET and resolves once its head has been written. */
export function openRequest(port: number, path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, HOST);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}:${port}\r\n\r\n`, () => resolve(socket));
    });
  });
}

/** Reads from `socket` until `marker` has arrived (or the socket ends), then resolves with all of it. */
export function readUntil(
  socket: net.Socket,
  marker: string,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => done(new Error(`no "${marker}" in ${timeoutMs} ms; got ${JSON.stringify(text)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (text.includes(marker)) done(null);
    };
    const onEnd = (): void => done(new Error(`the server closed first; got ${JSON.stringify(text)}`));
    function done(error: Error | null): void {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd);
      if (error === null) resolve(text);
      else reject(error);
    }
    socket.on('data', onData).on('end', onEnd);
  });
}

/** A running oracle (oracle.ts): one fetch fixture on @hono/node-server or srvx, in a child. */
export interface Oracle {
  readonly kind: OracleKind;
  readonly port: number;
  stop(): Promise<void>;
}

export type OracleKind = 'hono-node' | 'srvx';

/** Starts `fixture` on the `kind` server; resolves once it announced its port. */
export function startOracle(kind: OracleKind, fixture: string): Promise<Oracle> {
  // stdin stays open for the oracle's life: it exits when it ends, so no oracle outlives the test.
  const child = spawn(process.execPath, [ORACLE, kind, fixture], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /"port":(\d+)/.exec(stdout);
      if (match) resolve({ kind, port: Number(match[1]), stop: () => stopChild(child, exited) });
    });
    child.once('exit', (code) => reject(new Error(`oracle ${kind} ${fixture} exited (${code}): ${stderr}`)));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
}
