/**
 * Entry point of `npm start`: load the configuration (exit 78 when invalid), serve the demo
 * application in this one process, and on SIGTERM or SIGINT drain and exit.
 * The cluster arrives in its own issue; then this file only picks primary or worker.
 * Must not: hold server logic; signal handlers only start the drain (gunicorn's lesson).
 */

import { createApp } from './app/index.ts';
import { loadConfigOrExit } from './config/index.ts';
import { createServer } from './server/index.ts';

const config = loadConfigOrExit(process.argv.slice(2), process.env);
const server = createServer(createApp(), config);
const address = await server.listen();
process.stdout.write(
  JSON.stringify({
    level: 'info',
    time: Date.now(),
    msg: 'listening',
    address: address.address,
    port: address.port,
  }) + '\n',
);

let stopping = false;

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(JSON.stringify({ level: 'info', time: Date.now(), msg: 'draining', signal }) + '\n');
  server.drain().then(
    (result) => {
      process.stdout.write(
        JSON.stringify({ level: 'info', time: Date.now(), msg: 'drained', ...result }) + '\n',
      );
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        JSON.stringify({ level: 'fatal', msg: 'drain failed', err: String(error) }) + '\n',
      );
      process.exit(1);
    },
  );
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
