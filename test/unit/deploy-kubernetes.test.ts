/**
 * deploy/kubernetes/, checked without a cluster:
 *   - every document is a kind we expect, valid against the Kubernetes OpenAPI schemas that
 *     `kubernetes-models` ships (types, formats, required fields, enums);
 *   - and strictly so: the schemas allow unknown fields (the API server rejects them), so each
 *     document is also type-checked as an object literal against the package's TypeScript
 *     interfaces, whose excess-property check catches a misspelt field at any depth (like
 *     kubeconform -strict);
 *   - what issue 7 asks of them: probes on /readyz and /healthz, a preStop hook, a termination
 *     grace period that covers preStop + shutdown.drainDelayMs + shutdown.timeoutMs (read from the
 *     env through Samovar's own loader, which also rejects unknown SAMOVAR_* variables), resource
 *     requests, Prometheus annotations on the metrics port, and a Service, PDB and HPA that
 *     select or target the Deployment's pods.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/index.ts';
import { ROOT } from '../../harness/cluster.ts';

const DIR = join(ROOT, 'deploy/kubernetes');

interface Manifest {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly body: Record<string, unknown>;
}

/** apiVersion + kind → the model that validates it and the interface that types it. */
const KINDS: Record<
  string,
  { validate: (body: Record<string, unknown>) => void; module: string; type: string }
> = {
  'apps/v1 Deployment': {
    validate: (b) => new Deployment(b).validate(),
    module: 'kubernetes-models/apps/v1/Deployment',
    type: 'IDeployment',
  },
  'v1 Service': {
    validate: (b) => new Service(b).validate(),
    module: 'kubernetes-models/v1/Service',
    type: 'IService',
  },
  'policy/v1 PodDisruptionBudget': {
    validate: (b) => new PodDisruptionBudget(b).validate(),
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'autoscaling/v2 HorizontalPodAutoscaler': {
    validate: (b) => new HorizontalPodAutoscaler(b as unknown as IHorizontalPodAutoscaler).validate(),
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler',
  },
};

function readManifests(): Manifest[] {
  const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const body = doc.toJS() as Record<string, unknown>;
      return { file, apiVersion: String(body.apiVersion), kind: String(body.kind), body };
    }),
  );
}

/**
 * Type-checks each manifest as `const docN: IKind = {…}` in a virtual file beside this one, so
 * the package's types resolve from node_modules. Returns TypeScript's messages.
 */
function strictTypeErrors(manifests: readonly Manifest[]): string[] {
  const fileName = join(ROOT, 'test/unit/deploy-kubernetes.virtual.ts');
  const source = manifests
    .map((m, i) => {
      const kind = KINDS[`${m.apiVersion} ${m.kind}`];
      return `import type { ${kind?.type} as T${i} } from '${kind?.module}';\nexport const doc${i}: T${i} = ${JSON.stringify(m.body)};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === fileName || fileExists(name);
  host.readFile = (name) => (name === fileName ? source : readFile(name));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
    const doc = where ? Math.floor(where.line / 2) : -1;
    return `${manifests[doc]?.file ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

const manifests = readManifests();
const byKind = (kind: string): Record<string, unknown> => {
  const found = manifests.find((m) => m.kind === kind);
  if (!found) throw new Error(`no ${kind} in deploy/kubernetes/`);
  return found.body;
};

// Shapes read below (the schema check above guarantees them).
interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface Container {
  name: string;
  ports: { name: string; containerPort: number }[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { resourceFieldRef?: { resource: string; divisor?: string } };
  }[];
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { terminationGracePeriodSeconds: number; containers: Container[] };
}

const deployment = byKind('Deployment') as {
  metadata: { name: string };
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate };
};
const pod = deployment.spec.template;
const container = pod.spec.containers[0] as Container;

/** CPU quantity (`2`, `500m`) in cores. */
function cores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** The container's environment as the process sees it (a resourceFieldRef resolved). */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env) {
    const ref = e.valueFrom?.resourceFieldRef;
    if (ref) {
      const quantity =
        ref.resource === 'requests.cpu' ? container.resources.requests?.cpu : container.resources.limits?.cpu;
      env[e.name] = String(Math.ceil(cores(quantity ?? '0') / cores(ref.divisor ?? '1')));
    } else env[e.name] = e.value ?? '';
  }
  return env;
}

function preStopSeconds(): number {
  const hook = container.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds;
  const command = hook?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
}

describe('deploy/kubernetes', () => {
  it('holds a Deployment, a Service, a PodDisruptionBudget and a HorizontalPodAutoscaler', () => {
    expect(manifests.map((m) => `${m.apiVersion} ${m.kind}`).sort()).toEqual(Object.keys(KINDS).sort());
  });

  it('is valid against the Kubernetes schemas', () => {
    for (const m of manifests)
      expect(() => KINDS[`${m.apiVersion} ${m.kind}`]?.validate(m.body), m.file).not.toThrow();
    // The check is real: a wrong type is caught.
    const broken = structuredClone(deployment) as unknown as Record<string, unknown>;
    (broken.spec as Record<string, unknown>).replicas = 'three';
    expect(() => KINDS['apps/v1 Deployment']?.validate(broken)).toThrow(/replicas/);
  });

  it('has no unknown field at any depth', () => {
    expect(strictTypeErrors(manifests)).toEqual([]);
    const misspelt = structuredClone(manifests.find((m) => m.kind === 'Deployment')) as Manifest;
    const c = (misspelt.body as unknown as typeof deployment).spec.template.spec
      .containers[0] as unknown as Record<string, unknown>;
    c.readinesProbe = c.readinessProbe;
    expect(strictTypeErrors([misspelt]).join('\n')).toMatch(/readinesProbe/);
  }, 30_000);

  it('probes readiness on /readyz and liveness on /healthz, on the http port', () => {
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.ports.find((p) => p.name === 'http')?.containerPort).toBe(8080);
  });

  it('gives the pod a grace period covering preStop, the drain delay, the drain and a margin', () => {
    const loaded = loadConfig({ argv: [], env: containerEnv() });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const { drainDelayMs, timeoutMs } = loaded.config.shutdown;
    expect(preStopSeconds()).toBeGreaterThan(0);
    // +1 s: the primary kills a worker still alive 1 s after its deadline; +2 s to exit and flush.
    const needed = preStopSeconds() + (drainDelayMs + timeoutMs) / 1000 + 1 + 2;
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(needed);
    // …and not far beyond it: a stuck pod should not hold a rollout for minutes.
    expect(pod.spec.terminationGracePeriodSeconds).toBeLessThanOrEqual(needed + 10);
    expect(loaded.config.metrics.host).toBe('0.0.0.0');
    expect(loaded.config.workers).toBe(Math.ceil(cores(container.resources.requests?.cpu ?? '0')));
  });

  it('requests CPU and memory, and runs several replicas', () => {
    expect(Object.keys(container.resources.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('announces the metrics port to Prometheus', () => {
    const metricsPort = container.ports.find((p) => p.name === 'metrics')?.containerPort;
    expect(metricsPort).toBe(9464);
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(metricsPort),
      'prometheus.io/path': '/metrics',
    });
  });

  it('points the Service, the PDB and the HPA at the Deployment and its pods', () => {
    const labels = pod.metadata.labels;
    const selects = (selector: Record<string, string>): boolean =>
      Object.entries(selector).every(([k, v]) => labels[k] === v) && Object.keys(selector).length > 0;
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    const service = byKind('Service') as {
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    };
    expect(selects(service.spec.selector)).toBe(true);
    for (const port of service.spec.ports)
      expect(container.ports.map((p) => p.name)).toContain(port.targetPort);
    const pdb = byKind('PodDisruptionBudget') as {
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    const hpa = byKind('HorizontalPodAutoscaler') as {
      spec: { scaleTargetRef: { apiVersion: string; kind: string; name: string }; minReplicas: number };
    };
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    // A PDB allowing one disruption only works with at least two pods left standing.
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });
});
