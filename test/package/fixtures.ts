/**
 * What test/package/ writes into its consumer project, as text: the files import 'samovar', which
 * in this repository would resolve to the package itself (and need a build to type-check), so
 * they live here as strings and become files only in the temporary project.
 *   - NATIVE_APP (`native-app.mjs`): plain JavaScript, `{ handle }` with Samovar's Router, an
 *     HttpError that must answer its own status (the app's class is the engine's class).
 *   - FETCH_APP (`fetch-app.ts`): a bare `{ fetch }` app with no import at all, run through
 *     Node's type stripping.
 *   - CONSUMER_CHECK (`check.ts`): a strict nodenext consumer of every public entry point and
 *     type; its `@ts-expect-error` lines fail the check if a type decays to `any`.
 *   - IMPORTS_PROBE (`imports.mjs`): what each subpath exports at run time, and what is refused.
 * Must not: import anything; these are data.
 */

export const NATIVE_APP = `import { HttpError, Router } from 'samovar';

const router = new Router()
  .get('/hello/:name', (req, res) => res.json({ hello: req.params.name }))
  .post('/echo', async (req, res) => res.header('content-type', 'text/plain').send(await req.body.text()))
  .get('/missing', () => {
    throw new HttpError(404, 'no such thing');
  });

export default { handle: router.handler() };
`;

export const FETCH_APP = `interface Greeting {
  readonly hello: string;
  readonly method: string;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST') return Response.json({ echo: (await request.json()) as unknown });
    const greeting: Greeting = { hello: url.searchParams.get('name') ?? 'world', method: request.method };
    return Response.json(greeting, { headers: { 'x-app': 'fetch' } });
  },
};
`;

export const CONSUMER_CHECK = `import {
  HttpError,
  RequestAbortedError,
  Router,
  createStaticHandler,
  fetchHandler,
  serve,
} from 'samovar';
import type {
  AppModule,
  FetchApp,
  Handler,
  NativeApp,
  Request as SamovarRequest,
  RequestBody,
  Response as SamovarResponse,
  RunningServer,
  ServeOptions,
} from 'samovar';
import { runCluster } from 'samovar/cluster';
import type { ClusterOptions } from 'samovar/cluster';
import * as adapter from 'samovar/fetch';
import packageJson from 'samovar/package.json' with { type: 'json' };

const hello: Handler = (req: SamovarRequest, res: SamovarResponse): void => {
  const name: string | undefined = req.params.name;
  res.status(200).header('x-name', name ?? '').json({ hello: name, method: req.method });
};

async function readAll(body: RequestBody): Promise<string> {
  return body.text(1024);
}

const router = new Router().get('/hello/:name', hello).post('/echo', async (req, res) => {
  try {
    res.send(await readAll(req.body));
  } catch (error) {
    if (error instanceof RequestAbortedError) return;
    throw new HttpError(400, 'unreadable body', { cause: error });
  }
});

const native: NativeApp = { handle: router.handler() };
const fetchApp: FetchApp = {
  fetch: (request, info) => Response.json({ url: request.url, from: info.remoteAddress }),
  close: ({ reason }) => console.log(reason),
};
export const apps: AppModule[] = [native, fetchApp];
export const adapted: Handler = fetchHandler(fetchApp);
export const files: Handler = createStaticHandler({
  root: 'public',
  mount: '/',
  index: 'index.html',
  dotfiles: false,
  cacheControl: [{ pattern: '*.html', value: 'no-cache' }],
  precompressed: false,
  compress: false,
  compressMinBytes: 1024,
});
export const adapterExports: readonly string[] = Object.keys(adapter);
export const version: string = packageJson.version;

export async function start(options: ServeOptions = {}): Promise<string[]> {
  const servers: RunningServer[] = [await serve(native, options), await serve(fetchApp), await serve(hello)];
  const urls = servers.map((s) => s.url);
  await Promise.all(servers.map((s) => s.close()));
  return urls;
}

export function supervise(): void {
  const options: ClusterOptions = { argv: ['./app.ts', '--workers', '2'] };
  runCluster(options);
}

export function mistakes(): void {
  // @ts-expect-error: an HttpError needs a status first
  void new HttpError('no status');
  // @ts-expect-error: a native app's handle is Samovar's handler, not a fetch function
  const wrong: NativeApp = { handle: (request: Request) => new Response(request.url) };
  void wrong;
  // @ts-expect-error: only the exports map's subpaths exist
  void import('samovar/dist/index.js');
}
`;

export const IMPORTS_PROBE = `import { createRequire } from 'node:module';

const keys = async (specifier) => Object.keys(await import(specifier)).sort();
const code = async (load) => {
  try {
    await load();
    return 'loaded';
  } catch (error) {
    return error.code ?? String(error);
  }
};

const manifest = await import('samovar/package.json', { with: { type: 'json' } });
console.log(
  JSON.stringify({
    root: await keys('samovar'),
    cluster: await keys('samovar/cluster'),
    fetch: await keys('samovar/fetch'),
    version: manifest.default.version,
    deep: await code(() => import('samovar/dist/index.js')),
    source: await code(() => import('samovar/src/index.ts')),
    require: await code(() => createRequire(import.meta.url)('samovar').serve),
  }),
);
`;

export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'es2023',
    lib: ['es2023'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    erasableSyntaxOnly: true,
    resolveJsonModule: true,
    skipLibCheck: false,
    noEmit: true,
  },
  include: ['*.ts', 'examples/*/app.ts'],
};
