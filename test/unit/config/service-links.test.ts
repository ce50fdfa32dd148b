/**
 * The environment layer and Kubernetes service links (src/config/sources.ts): the variables a kubelet
 * injects for a Service named `samovar` or `samovar-<x>` are skipped by their exact shape, a typo
 * of a real field is still an error, and `PORT` applies when `SAMOVAR_PORT` only holds a link.
 */

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.ts';
import { isServiceLink } from '../../../src/config/sources.ts';
import { serviceLinkEnv, shippedServiceLinks } from '../../support/kubelet-env.ts';

const load = (env: Record<string, string>) => loadConfig({ argv: [], env });

describe('service links', () => {
  it('skips every variable of the shipped Service and of a samovar-metrics Service', () => {
    const metrics = serviceLinkEnv('samovar-metrics', [{ name: 'metrics', port: 9464 }], '10.0.0.9');
    expect(metrics.SAMOVAR_METRICS_PORT).toBe('tcp://10.0.0.9:9464');
    const result = load({ ...shippedServiceLinks(), ...metrics });
    expect(result.ok).toBe(true);
    if (result.ok) expect([result.config.port, result.config.metrics.port]).toEqual([8080, 9464]);
  });

  it('reads PORT when SAMOVAR_PORT is only a link, and SAMOVAR_PORT when it is a port', () => {
    const withPort = load({ ...shippedServiceLinks(), PORT: '3000' });
    expect(withPort.ok && withPort.config.port).toBe(3000);
    const own = load({ SAMOVAR_PORT: '4000', PORT: '3000' });
    expect(own.ok && own.config.port).toBe(4000);
  });

  it('keeps the protection against typos', () => {
    for (const [name, value] of [
      ['SAMOVAR_PROT', '80'],
      ['SAMOVAR_PORT', 'http://x:80'],
      ['SAMOVAR_SERVICE', 'x'],
      ['SAMOVAR_PORT_80', 'tcp://x:80'],
      ['SAMOVAR_WORKER', '2'],
    ] as const) {
      const result = load({ [name]: value });
      expect([name, result.ok]).toEqual([name, false]);
    }
    expect(isServiceLink('SAMOVAR_PORT_80_TCP_ADDR', '10.0.0.1')).toBe(true);
    expect(isServiceLink('SAMOVAR_METRICS_PORT', '9464')).toBe(false);
  });
});
