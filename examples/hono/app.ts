/**
 * A Hono application served by Samovar as it is: a Hono app is `{ fetch }`, the module contract's
 * fetch-standard shape, so nothing here knows about Samovar (docs/containers.md,
 * examples/hono/README.md). Routes: `GET /` (text), `POST /echo` (a JSON body back),
 * `GET /users/:id` (a path parameter), `GET /events` (server-sent events with hono/streaming).
 * Must not: listen (no `serve()` from @hono/node-server); Samovar's workers do.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';

const TICKS = 3;
const TICK_INTERVAL_MS = 100;

const app = new Hono();

app.get('/', (c) => c.text('Hello from Hono on Samovar\n'));

app.post('/echo', async (c) => c.json({ echo: await c.req.json<unknown>() }));

app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));

app.get('/events', (c) =>
  streamSSE(c, async (stream) => {
    for (let n = 1; n <= TICKS; n++) {
      await stream.writeSSE({ id: String(n), event: 'tick', data: JSON.stringify({ n }) });
      if (n < TICKS) await stream.sleep(TICK_INTERVAL_MS);
    }
  }),
);

export default app;
