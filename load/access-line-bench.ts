/**
 * The access line's own cost, in one process (issue 19 §1): `AccessLog.write` into a `LineSink`
 * writing to /dev/null (or the file given), N lines per event-loop turn as a busy worker writes
 * them, against the same loop without the line. Prints µs per line (CPU, user + system). The
 * whole server's figure (`npm run load:compare`, Samovar with the log on ÷ off) also counts the
 * kernel's side of the writes and the cache the lines take.
 * Run: `npm run bench:access-line -- [file] [lines per turn]` (about 15 s). Not a test.
 * Must not: run in `npm test`.
 */
import { openSync } from 'node:fs';
import { AccessLog, createLogger, LineSink } from '../src/log/index.ts';

const fd = openSync(process.argv[2] ?? '/dev/null', 'w');
const PER_TURN = Number(process.argv[3] ?? 10);
const LINES = 1_000_000;
const sink = new LineSink({ fd, flushOnExit: false });
const logger = createLogger({ level: 'info', base: { role: 'worker', workerId: 1 }, destination: sink });
const access = new AccessLog(logger, 'on', 1);
const ids = Array.from({ length: 1024 }, (_, i) => `k3j2h1-1-${(i + 100_000).toString(36)}`);
const req = {
  id: '',
  method: 'GET',
  path: '/',
  route: '/',
  remoteAddress: '127.0.0.1:45678',
  tls: null,
  get: (): string | undefined => undefined,
};
const res = { statusCode: 200, outcome: 'completed', bodyBytes: 13 };
let seq = 0;

function turn(withLine: boolean): void {
  for (let j = 0; j < PER_TURN; j++) {
    req.id = ids[++seq & 1023] as string;
    const ms = performance.now() - (performance.now() - 0.05);
    if (withLine) access.write(req, res, 0, ms);
  }
}

async function cpuPerLine(withLine: boolean): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < LINES; i += PER_TURN) {
    turn(withLine);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / LINES;
}

await cpuPerLine(true);
for (let round = 1; round <= 3; round++) {
  const without = await cpuPerLine(false);
  const withLine = await cpuPerLine(true);
  console.log(`round ${round}: ${(withLine - without).toFixed(3)} µs per line (${PER_TURN} lines a turn)`);
}
