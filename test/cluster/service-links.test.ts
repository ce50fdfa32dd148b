/**
 * Kubernetes service links, as a kubelet sets them: the real process started with the shipped
 * Deployment's own env plus the link variables of the shipped Service named `samovar`
 * (`SAMOVAR_PORT=tcp://…`, `SAMOVAR_SERVICE_HOST` …). Before the fix, every pod created after the
 * Service exited 78 and crash-looped. Now it serves (on `PORT`, the platform's port variable,
 * since `SAMOVAR_PORT` holds a link), and says in one line what it ignored and how to drop them.
 * Only the listening addresses differ from the manifest's (loopback, free ports).
 */

import { expect, it } from 'vitest';
import { clustersPerTest } from '../support/clusters.ts';
import { shippedDeploymentEnv, shippedServiceLinks } from '../support/kubelet-env.ts';
import { freePort, get, startCluster } from '../../harness/cluster.ts';

const own = clustersPerTest();

it('starts with the shipped Deployment env and the shipped Service links, and says what it ignored', async () => {
  const links = shippedServiceLinks();
  expect(links.SAMOVAR_PORT).toBe('tcp://10.96.12.34:80');
  const deployment = shippedDeploymentEnv();
  const port = await freePort();
  const cluster = own(
    await startCluster({
      env: {
        ...deployment,
        ...links,
        PORT: String(port),
        SAMOVAR_HOST: '127.0.0.1',
        SAMOVAR_METRICS_HOST: '127.0.0.1',
        SAMOVAR_METRICS_PORT: '0',
      },
      ready: Number(deployment.SAMOVAR_WORKERS),
    }),
  );
  expect((await get(port, '/')).body).toBe('Hello, World!');
  const said = cluster.events('start', (l) => typeof l.ignored === 'string');
  expect(said).toHaveLength(1);
  expect(said[0]?.msg).toContain('enableServiceLinks: false');
  expect(String(said[0]?.ignored).split(' ').sort()).toEqual(Object.keys(links).sort());
});

it('still refuses a misspelt SAMOVAR_ variable beside the links', async () => {
  const cluster = own(
    await startCluster({ env: { ...shippedServiceLinks(), SAMOVAR_WROKERS: '2' }, ready: 0 }),
  );
  await cluster.exited;
  expect(cluster.exitCode).toBe(78);
  expect(cluster.stderr.join('')).toContain('SAMOVAR_WROKERS');
  expect(cluster.stderr.join('')).not.toContain('SAMOVAR_SERVICE_HOST');
});
