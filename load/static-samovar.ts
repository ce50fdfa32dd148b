/**
 * Samovar for `npm run load:static`: the demo application in ONE process (no cluster primary),
 * so that it and the baseline are one process each. Configured like `npm start`: defaults,
 * `SAMOVAR_*` variables and flags; the harness sets `SAMOVAR_STATIC_ROOT` and the port.
 * Must not: be used outside load/.
 */
import { createApp } from '../src/app/index.ts';
import { loadConfigOrExit } from '../src/config/index.ts';
import { createServer } from '../src/server/index.ts';

const config = loadConfigOrExit(process.argv.slice(2), process.env);
const server = createServer(createApp({ config }), config);
await server.listen();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void server.drain().then(() => process.exit(0)));
}
