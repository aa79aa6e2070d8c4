// Lint: the harness/app boundary, and promises nobody awaits.
//
// The boundary is the architecture: harness/ is generic (HTTP, PostgreSQL, Playwright) and may
// never import the reference backend, an example backend or a suite built on the harness; app/
// may import only the contract module both sides share (harness/contract). An example's suite is
// built from harness/ alone. A change that crosses a line fails `npm run lint`.
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const SUITE = ['./fixtures', './seed', './budgets', './tests', './config', './scripts', './global-setup.ts', './global-teardown.ts', './playwright.config.ts'];
const zone = (target, from, message, except) => ({ target, from, message, ...(except && { except }) });

export default tseslint.config(
  { ignores: ['node_modules/**', 'playwright-report/**', 'test-results/**', 'blob-report/**', 'perf-results/**', '.run/**', '.pgdata/**', '.cache/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      // Specs write './x.js' for './x.ts' (TypeScript's ESM convention): resolve both.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      // node:test's describe/it/test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] }],
      // An import the resolver cannot place could hide a boundary crossing: it fails too.
      'import-x/no-unresolved': ['error', { ignore: ['^node:', '^@playwright/test', '^typescript-eslint$'] }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            zone('./harness', './app', 'harness/ is generic: it may not import the reference backend. Move what both need into harness/contract.'),
            zone('./harness', './examples', 'harness/ is generic: it may not import an example backend or its suite.'),
            zone('./harness', './devdb', 'harness/ is generic: devdb/ is how this repo\'s backends get a PostgreSQL, not part of the harness.'),
            ...['./harness', './app', './examples', ...SUITE].map((s) => zone('./devdb', s, 'devdb/ starts a PostgreSQL for a backend: it may not import a backend, the harness or a suite.')),
            ...SUITE.map((s) => zone('./harness', s, "harness/ may not import app/'s suite: the suite is built from the harness, not the reverse.")),
            zone('./app', './harness', 'app/ may import only harness/contract, the contract both sides share.', ['./contract']),
            ...[...SUITE, './examples'].map((s) => zone('./app', s, 'app/ is a backend: it may not import a suite that tests it.')),
            ...['./app', ...SUITE].map((s) => zone('./examples', s, "an example is built from harness/ alone: it may not import app/ or app/'s suite.")),
          ],
        },
      ],
    },
  },
);
