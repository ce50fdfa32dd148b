/**
 * The paced HTTPS clients (paced.ts) as their own process, so that a measurement can keep them
 * off the server's core: `node harness/tls/paced-run.ts PORT MS CA_FILE`. Opens its four
 * connections and warms them for 500 ms (handshakes are not what it measures), then measures
 * `MS`, and prints one JSON line: `{ "lat": [ms, … sorted], "failed": n }`.
 * Must not: judge the figures (load/hostile.ts does).
 */

import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { pacedHttps } from './paced.ts';

const [portText, msText, caFile] = process.argv.slice(2);
const port = Number(portText);
const agent = new Agent({
  connections: 4,
  connect: { ca: readFileSync(caFile as string, 'utf8'), servername: 'localhost' },
});
await pacedHttps(port, agent, 500);
const result = await pacedHttps(port, agent, Number(msText));
await agent.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
