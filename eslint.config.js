// Lint: the harness/app boundary, and promises nobody awaits.
//
// The boundary is the architecture: the package (packages/pressure-harness) is generic (HTTP,
// PostgreSQL, Playwright) and may never import the reference backend, an example backend or a
// suite built on it; app/ may import only the contract both sides share (pressure-harness/contract).
// Suites and examples import the package by its name, as a user would, never its sources by path.
// A change that crosses a line fails `npm run lint`.
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const SUITE = ['./fixtures', './seed', './budgets', './tests', './config', './scripts', './global-setup.ts', './global-teardown.ts', './playwright.config.ts'];
const PKG = './packages/pressure-harness/src';
const zone = (target, from, message, except) => ({ target, from, message, ...(except && { except }) });

export default tseslint.config(
  { ignores: ['node_modules/**', 'playwright-report/**', 'test-results/**', 'blob-report/**', 'perf-results/**', '.run/**', '.pgdata/**', '.cache/**', '**/dist/**', '**/*.js', '**/*.mjs'] },
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
      // Modules that import each other cannot be read, tested or loaded one at a time.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            zone(PKG, './app', 'the package is generic: it may not import the reference backend. Move what both need into its contract/.'),
            zone(PKG, './examples', 'the package is generic: it may not import an example backend or its suite.'),
            ...SUITE.map((s) => zone(PKG, s, "the package may not import app/'s suite: the suite is built from the package, not the reverse.")),
            ...['./app', './examples', ...SUITE].map((s) => zone(s, PKG, "import the package by its name ('pressure-harness/<entry>'), as a user would, not its sources by path.")),
            ...[...SUITE, './examples'].map((s) => zone('./app', s, 'app/ is a backend: it may not import a suite that tests it.')),
            ...['./app', ...SUITE].map((s) => zone('./examples', s, "an example is built from the package alone: it may not import app/ or app/'s suite.")),
          ],
        },
      ],
    },
  },
  {
    // app/ shares only the contract with the harness (and starts its PostgreSQL from the package's
    // embedded/): a backend owes its tests nothing else.
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^pressure-harness(?!/(contract|embedded)$)', message: 'app/ may import only pressure-harness/contract and pressure-harness/embedded.' }] },
      ],
    },
  },
);
