/**
 * The baseline for `npm run load:static`: `node:http` with `serve-static` (Express's static
 * middleware, the usual way Node serves files) on BASELINE_ROOT, one process, keep-alive on,
 * serve-static's defaults (ETag, Last-Modified, ranges, `Cache-Control: public, max-age=0`),
 * plus `GET /healthz` so the harness knows when it is up.
 * Listens on BASELINE_HOST (127.0.0.1) : BASELINE_PORT; SIGTERM/SIGINT close it.
 * Must not: be imported by src/.
 */
import { createServer } from 'node:http';
import serveStatic from 'serve-static';

const root = process.env.BASELINE_ROOT;
if (root === undefined || root === '') throw new Error('BASELINE_ROOT is not set');
const files = serveStatic(root, { index: ['index.html'] });
const OK = Buffer.from('ok\n');

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': OK.length });
    res.end(OK);
    return;
  }
  files(req, res, () => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
  });
});
server.keepAliveTimeout = 5_000;
server.listen(Number(process.env.BASELINE_PORT ?? 8081), process.env.BASELINE_HOST ?? '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => server.close());
