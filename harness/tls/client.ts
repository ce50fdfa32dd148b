/**
 * A small HTTPS client for tests and load scripts, on node:tls: one request on a new connection,
 * offering a saved session; it says whether the handshake resumed, which certificate serial the
 * server presented, and hands back the last session ticket the server sent (TLS 1.3 sends them
 * after the handshake), so a caller can reconnect the way a browser does.
 * Must not: keep connections open, or import a test runner.
 */

import tls from 'node:tls';

export interface HttpsAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
  readonly resumed: boolean;
  /** The served certificate's serial, upper-case hex. */
  readonly serial: string;
  readonly protocol: string;
  /** The session to offer next time (the last ticket received, else the one offered). */
  readonly session: Buffer | undefined;
}

export interface HttpsOptions {
  readonly ca: string;
  readonly session?: Buffer | undefined;
  readonly path?: string;
  readonly host?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly timeoutMs?: number;
}

export function httpsGet(port: number, options: HttpsOptions): Promise<HttpsAnswer> {
  const { ca, session, path = '/', host = '127.0.0.1', timeoutMs = 5_000 } = options;
  return new Promise((resolve, reject) => {
    let last: Buffer | undefined;
    let resumed = false;
    let serial = '';
    let protocol = '';
    let text = '';
    const socket = tls.connect(
      {
        port,
        host,
        ca,
        servername: 'localhost',
        ...(session === undefined ? {} : { session }),
        ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
      },
      () => {
        resumed = socket.isSessionReused();
        serial = socket.getPeerCertificate().serialNumber?.toUpperCase() ?? '';
        protocol = socket.getProtocol() ?? '';
        socket.end(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      },
    );
    const timer = setTimeout(() => socket.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('session', (s: Buffer) => (last = s));
    socket.on('data', (d: string) => (text += d));
    socket.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer (got ${JSON.stringify(text.slice(0, 80))})`));
      const head = text.slice(0, split);
      const status = Number(head.slice(9, 12));
      resolve({
        status,
        head,
        body: text.slice(split + 4),
        resumed,
        serial,
        protocol,
        session: last ?? session,
      });
    });
  });
}

/** A header's value from a raw head (first match, any case), or undefined. */
export function headerOf(head: string, name: string): string | undefined {
  const wanted = name.toLowerCase() + ':';
  for (const line of head.split('\r\n')) {
    if (line.toLowerCase().startsWith(wanted)) return line.slice(wanted.length).trim();
  }
  return undefined;
}
