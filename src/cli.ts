#!/usr/bin/env node
/**
 * The `samovar` command: `samovar [ENTRY] [--flags…]`. In the primary it resolves the
 * configuration (ENTRY is `app.entry`; exit 78 on any invalid field, a missing entry file
 * included) and supervises the cluster; it never imports ENTRY. Each worker imports ENTRY,
 * awaits its `setup` and serves it, so a SIGHUP rolls new code through the ready-gated roll.
 * Without ENTRY it serves the built-in demo (`npm start`). docs/api.md has the contract.
 * `samovar status | reload | scale N | stop | log-level LEVEL` talk to a running primary through
 * its control socket instead (src/console/, docs/console.md) and exit with what happened.
 * Must not: hold server, supervisor or console logic; it only picks what to run.
 */

import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { runCluster } from './cluster/index.ts';
import { CONSOLE_USAGE, isConsoleCommand, runConsole } from './console/index.ts';

const USAGE = `Usage: samovar [ENTRY] [--flags…]

Serves ENTRY (a .js, .mjs or .ts module; FILE#name for a named export) with one worker per CPU.
Its export is { fetch(request) } (Hono, itty-router, h3, any fetch-standard app) or
{ handle(req, res) } (Samovar's handler API), optionally with setup() and close().
Without ENTRY: the built-in demo.

  --port N, --workers N|auto, --config FILE, … every setting as --group.name VALUE
  SAMOVAR_* environment variables set the same fields (docs/configuration.md)
  --help, --version

Signals to the primary: HUP rolling restart (new code, new configuration), TERM/INT graceful
stop, TTIN/TTOU one worker more/less, USR2 cycle the log level. docs/api.md, docs/cluster.md.

${CONSOLE_USAGE}`;

function version(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

const argv = process.argv.slice(2);
const help = argv.includes('--help') || argv.includes('-h');
if (cluster.isPrimary && isConsoleCommand(argv[0])) {
  if (help) process.stdout.write(CONSOLE_USAGE);
  else
    void runConsole(argv, {
      env: process.env,
      cwd: process.cwd(),
      out: process.stdout,
      err: process.stderr,
    }).then((code) => (process.exitCode = code));
} else if (cluster.isPrimary && help) process.stdout.write(USAGE);
else if (cluster.isPrimary && argv.includes('--version')) process.stdout.write(`samovar ${version()}\n`);
else runCluster({ argv });
