/**
 * The environment a kubelet gives a pod, built from the shipped manifests: the Deployment's own
 * `env` (a `resourceFieldRef` resolved from the container's requests, as the kubelet does) and the
 * Docker-link variables of a Service (`enableServiceLinks`, on by default), named by the
 * kubelet's rule: the Service name upper-cased with `-` → `_`, then `_SERVICE_HOST`,
 * `_SERVICE_PORT`, `_SERVICE_PORT_<PORT NAME>`, `_PORT=<proto>://<ip>:<first port>` and, per port,
 * `_PORT_<n>_<PROTO>` with `_PROTO`, `_PORT`, `_ADDR`.
 * Must not: be used outside tests.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: string;
}
interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly resourceFieldRef?: { readonly resource: string; readonly divisor?: string };
  };
}

const MANIFESTS = join(import.meta.dirname, '../../deploy/kubernetes');

const upper = (name: string): string => name.toUpperCase().replaceAll('-', '_');

/** The link variables of a Service `name` with `ports`, at `clusterIp`. */
export function serviceLinkEnv(
  name: string,
  ports: readonly ServicePort[],
  clusterIp: string,
): Record<string, string> {
  const prefix = upper(name);
  const first = ports[0];
  if (first === undefined) return {};
  const env: Record<string, string> = {
    [`${prefix}_SERVICE_HOST`]: clusterIp,
    [`${prefix}_SERVICE_PORT`]: String(first.port),
    [`${prefix}_PORT`]: `${(first.protocol ?? 'TCP').toLowerCase()}://${clusterIp}:${first.port}`,
  };
  for (const p of ports) {
    const proto = p.protocol ?? 'TCP';
    if (p.name !== undefined) env[`${prefix}_SERVICE_PORT_${upper(p.name)}`] = String(p.port);
    const base = `${prefix}_PORT_${p.port}_${proto}`;
    env[base] = `${proto.toLowerCase()}://${clusterIp}:${p.port}`;
    env[`${base}_PROTO`] = proto.toLowerCase();
    env[`${base}_PORT`] = String(p.port);
    env[`${base}_ADDR`] = clusterIp;
  }
  return env;
}

/** The shipped Service's link variables (deploy/kubernetes/service.yaml). */
export function shippedServiceLinks(clusterIp = '10.96.12.34'): Record<string, string> {
  const service = parse(readFileSync(join(MANIFESTS, 'service.yaml'), 'utf8')) as {
    metadata: { name: string };
    spec: { ports: ServicePort[] };
  };
  return serviceLinkEnv(service.metadata.name, service.spec.ports, clusterIp);
}

/** The shipped Deployment's container env, `resourceFieldRef`s resolved against its requests. */
export function shippedDeploymentEnv(): Record<string, string> {
  const deployment = parse(readFileSync(join(MANIFESTS, 'deployment.yaml'), 'utf8')) as {
    spec: {
      template: {
        spec: { containers: { env: EnvVar[]; resources: { requests: Record<string, string> } }[] };
      };
    };
  };
  const container = deployment.spec.template.spec.containers[0];
  if (container === undefined) throw new Error('deployment.yaml has no container');
  const env: Record<string, string> = {};
  for (const v of container.env) {
    const ref = v.valueFrom?.resourceFieldRef;
    if (v.value !== undefined) env[v.name] = v.value;
    else if (ref !== undefined) {
      const key = ref.resource.replace(/^requests\./, '');
      const raw = container.resources.requests[key];
      if (raw === undefined) throw new Error(`no request for ${ref.resource}`);
      // The kubelet rounds up: requests.cpu 1500m with divisor 1 is 2.
      const amount = raw.endsWith('m') ? Number(raw.slice(0, -1)) / 1000 : Number(raw);
      env[v.name] = String(Math.ceil(amount / Number(ref.divisor ?? '1')));
    }
  }
  return env;
}
