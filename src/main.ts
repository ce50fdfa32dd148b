/**
 * Entry point of `npm start`: the primary (it loads the configuration, exiting 78 when invalid,
 * and supervises the workers; docs/cluster.md) or, in a forked worker, the engine serving the
 * demo application.
 * Must not: hold server or supervisor logic; it only picks primary or worker.
 */

import cluster from 'node:cluster';
import { createApp } from './app/index.ts';
import { runPrimary } from './cluster/primary.ts';
import { runWorker } from './cluster/worker.ts';

if (cluster.isPrimary) runPrimary();
else runWorker(createApp);
