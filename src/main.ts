/**
 * `npm start` and `node src/main.ts`: the same program as the `samovar` command (src/cli.ts),
 * kept so scripts and images that name this file go on working.
 * Must not: hold anything of its own.
 */
import './cli.ts';
