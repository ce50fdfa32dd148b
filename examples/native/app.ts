/**
 * A native Samovar application: `export default { handle }`, routed by Samovar's own `Router`
 * (docs/containers.md, examples/native/README.md). Routes: `GET /` (text), `GET /greet/:name`
 * (a path parameter, JSON), `POST /echo` (a JSON body back), `GET /ticks` (server-sent events
 * through `res.stream`), and `GET /teapot` (an `HttpError` becomes its status, not a 500).
 *
 * It imports 'samovar' at run time, so that name must resolve to the Samovar serving it: in the
 * container the image links itself as /node_modules/samovar (no copy of its own here: a second
 * copy's `HttpError` would not be the engine's class, and its throws would answer 500).
 * Must not: listen, read the environment or the process; the worker does that.
 */
import { HttpError, Router } from 'samovar';
import type { NativeApp } from 'samovar';

/** Longest name echoed back: the answer stays small whatever the client sends. */
const MAX_NAME_LENGTH = 64;
const TICKS = 3;
const TICK_INTERVAL_MS = 100;

const router = new Router()
  .get('/', (_req, res) => res.send('Hello from a native Samovar app\n'))
  .get('/greet/:name', (req, res) => {
    const name = req.params.name ?? '';
    if (name.length > MAX_NAME_LENGTH) throw new HttpError(400, `name longer than ${MAX_NAME_LENGTH}`);
    res.json({ hello: name });
  })
  .post('/echo', async (req, res) => {
    res.json({ echo: await req.body.json() });
  })
  .get('/ticks', (_req, res) => {
    res.header('content-type', 'text/event-stream').header('cache-control', 'no-cache');
    // flushHead: an event-stream client must see the status before the first event exists.
    return res.stream(ticks(), { flushHead: true });
  })
  .get('/teapot', () => {
    throw new HttpError(418, "I'm a teapot");
  });

/** Server-sent events (WHATWG HTML §9.2): `id`, `event`, `data`, then a blank line. */
async function* ticks(): AsyncGenerator<string> {
  for (let n = 1; n <= TICKS; n++) {
    yield `id: ${n}\nevent: tick\ndata: ${JSON.stringify({ n })}\n\n`;
    if (n < TICKS) await new Promise((resolve) => setTimeout(resolve, TICK_INTERVAL_MS));
  }
}

export default { handle: router.handler() } satisfies NativeApp;
