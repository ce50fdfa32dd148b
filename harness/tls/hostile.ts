/**
 * Hostile TLS clients, run as their own process (so their CPU is not the measuring client's):
 * `node harness/tls/hostile.ts PORT SECONDS [flood=N] [slow=N] [garbage=N] [plain=N]`.
 *   - flood: N loops of full handshakes (each connects, completes the handshake, and leaves);
 *   - slow: N connections that send half a ClientHello and then nothing, reopened when closed;
 *   - garbage: N loops sending random bytes instead of a ClientHello;
 *   - plain: N loops sending a plain HTTP request to the TLS port.
 * Prints one JSON line with what each kind did and how it ended.
 * Must not: verify certificates (it attacks, it does not trust), or outlive its duration.
 */

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

const [portText, secondsText, ...kinds] = process.argv.slice(2);
const port = Number(portText);
const until = Date.now() + Number(secondsText) * 1000;
const counts = { handshakes: 0, floodErrors: 0, slowOpened: 0, garbage: 0, plain: 0, plain400: 0 };
const HALF_HELLO = Buffer.from('16030100c8010000c40303', 'hex');

async function flood(): Promise<void> {
  while (Date.now() < until) {
    await new Promise<void>((resolve) => {
      const s = tls.connect(
        { port, host: '127.0.0.1', rejectUnauthorized: false, servername: 'localhost' },
        () => {
          counts.handshakes++;
          s.destroy();
        },
      );
      s.on('error', () => counts.floodErrors++);
      s.on('close', () => resolve());
    });
  }
}

async function slow(): Promise<void> {
  while (Date.now() < until) {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(HALF_HELLO));
      counts.slowOpened++;
      const stop = setTimeout(() => s.destroy(), Math.max(0, until - Date.now()));
      s.on('error', () => {});
      s.on('close', () => {
        clearTimeout(stop);
        resolve();
      });
    });
  }
}

async function garbage(): Promise<void> {
  while (Date.now() < until) {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(randomBytes(512)));
      counts.garbage++;
      s.on('data', () => {});
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
  }
}

async function plain(): Promise<void> {
  while (Date.now() < until) {
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      counts.plain++;
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        if (d.startsWith('HTTP/1.1 400')) counts.plain400++;
      });
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
  }
}

const runners: Promise<void>[] = [];
for (const kind of kinds) {
  const [name, n] = kind.split('=');
  const run = { flood, slow, garbage, plain }[name as 'flood'];
  for (let i = 0; i < Number(n); i++) runners.push(run());
}
await Promise.all(runners);
process.stdout.write(JSON.stringify(counts) + '\n');
