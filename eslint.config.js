// Lint: type-aware typescript-eslint rules (no floating promises), plus Samovar's own
// architecture rules: src/ never imports node:http/https/http2, and imports point one way
// (src/http <- src/server <- src/fetch <- src/entry <- src/cluster; config, log, metrics and tls are leaves).
// Outside src/: test/ and load/ share what both use through harness/, and never import each other.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const HTTP_MODULES = ['http', 'https', 'http2', 'node:http', 'node:https', 'node:http2'].map((name) => ({
  name,
  message: 'Samovar speaks HTTP itself: node:http/https/http2 belong in tests and load/ only.',
}));
const PARSER_PACKAGES = ['http-parser-js', 'llhttp', 'undici'].map((name) => ({
  name,
  message: 'No third-party HTTP parsers or clients in src/.',
}));

function restrict(patterns) {
  return {
    'no-restricted-imports': ['error', { paths: [...HTTP_MODULES, ...PARSER_PACKAGES], patterns }],
  };
}

// test/ and load/ may use node:http and third-party clients; only their folders are fenced.
function fence(patterns, paths = []) {
  return { 'no-restricted-imports': ['error', { paths, patterns }] };
}
const TEST = { group: ['**/test/**'], message: 'Only test/ imports test/: move what is shared to harness/.' };
const LOAD = { group: ['**/load/**'], message: 'Only load/ imports load/: move what is shared to harness/.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'load/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // The parser's scan loops assign in the loop condition and read after it; the rule cannot see that.
      'no-useless-assignment': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an as-const object, not enum.' },
      ],
    },
  },
  { files: ['src/**/*.ts'], rules: restrict([]) },
  {
    files: ['src/http/**/*.ts'],
    rules: restrict([
      {
        group: [
          '**/server/**',
          '**/cluster/**',
          '**/config/**',
          '**/log/**',
          '**/metrics/**',
          '**/fetch/**',
          '**/entry/**',
          '**/app/**',
          '**/tls/**',
        ],
        message: 'src/http is pure protocol and imports nothing of Samovar above it.',
      },
      {
        group: ['node:net', 'node:fs', 'node:fs/*', 'node:timers', 'node:cluster', 'node:child_process'],
        message: 'src/http does no I/O.',
      },
    ]),
  },
  {
    files: ['src/server/**/*.ts'],
    rules: restrict([
      {
        group: ['**/cluster/**', '**/entry/**', '**/fetch/**', '**/app/**'],
        message: 'src/server knows no cluster, application or adapter.',
      },
    ]),
  },
  {
    files: ['src/fetch/**/*.ts'],
    rules: restrict([
      {
        group: ['**/cluster/**', '**/entry/**', '**/config/**', '**/log/**', '**/metrics/**', '**/app/**'],
        message: 'The fetch adapter sits on the handler API alone (src/server).',
      },
    ]),
  },
  {
    files: ['src/entry/**/*.ts'],
    rules: restrict([{ group: ['**/cluster/**'], message: 'The entry loader must not know the cluster.' }]),
  },
  {
    // The demo application: a user of the handler API like any other.
    files: ['src/app/**/*.ts'],
    rules: restrict([
      {
        group: ['**/cluster/**', '**/entry/**'],
        message: 'The demo app is an application: it knows no cluster.',
      },
    ]),
  },
  {
    // `samovar status` and friends: a small client of the control socket, not a second server.
    files: ['src/console/**/*.ts'],
    rules: restrict([
      {
        group: ['**/http/**', '**/server/**', '**/fetch/**', '**/entry/**', '**/app/**'],
        message: 'src/console is a client of the control socket: it loads no engine and no application.',
      },
    ]),
  },
  {
    files: ['src/tls/**/*.ts'],
    rules: restrict([
      {
        group: [
          '**/http/**',
          '**/server/**',
          '**/fetch/**',
          '**/entry/**',
          '**/cluster/**',
          '**/config/**',
          '**/log/**',
          '**/metrics/**',
          '**/app/**',
        ],
        message: 'src/tls is a leaf: the engine, the configuration and the cluster use it, not the reverse.',
      },
    ]),
  },
  {
    files: ['src/config/**/*.ts', 'src/log/**/*.ts', 'src/metrics/**/*.ts'],
    rules: restrict([
      {
        group: ['**/http/**', '**/server/**', '**/cluster/**', '**/fetch/**', '**/entry/**', '**/app/**'],
        message: 'config, log and metrics are leaves (config may read the log settings, log/settings.ts).',
      },
    ]),
  },
  { files: ['test/**/*.ts'], rules: fence([LOAD]) },
  { files: ['load/**/*.ts'], rules: fence([TEST]) },
  {
    files: ['harness/**/*.ts'],
    rules: fence(
      [TEST, LOAD],
      [
        {
          name: 'vitest',
          message: 'harness/ also runs outside vitest (load/): hooks belong in test/support/.',
        },
      ],
    ),
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    // The landing page's script runs in the browser.
    files: ['public/**/*.js'],
    languageOptions: {
      globals: { document: 'readonly', window: 'readonly', fetch: 'readonly', performance: 'readonly' },
    },
  },
);
