// Lint, and above all the layering of ../shared/DESIGN.md: a file that imports across a
// boundary fails the build. Each layer lists what it may not import; the rule is
// no-restricted-imports, so the message names the rule that was broken.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process', 'net', 'http', 'https', 'worker_threads', 'stream', 'events', 'url', 'util', 'zlib', 'buffer'];

function layer(files, patterns, message) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
    },
  };
}

export default tseslint.config(
  { ignores: ['bench/.out/**', 'dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'tests/fixtures/layering/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Build scripts and packaging hooks run in Node.
    files: ['scripts/**', 'build/**', '*.js', '*.cjs', '*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', exports: 'writable', module: 'writable', __dirname: 'readonly', URL: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  layer(
    ['src/shared/**'],
    ['**/main/**', '**/renderer/**', '**/server/**', 'electron', 'react', 'react-dom', ...NODE_BUILTINS],
    'Layering: src/shared is pure TypeScript and imports nothing from main, renderer, server, Node or Electron.',
  ),
  layer(
    ['src/renderer/**'],
    ['**/main/**', '**/server/**', 'electron', ...NODE_BUILTINS],
    'Layering: src/renderer imports src/shared only and reaches the core through the CoreClient.',
  ),
  layer(
    ['src/main/core/**'],
    ['electron', '**/renderer/**', '**/server/**', '**/main/electron/**', '**/main/host/**'],
    'Layering: src/main/core is plain Node: never electron, renderer, server or the shells.',
  ),
  layer(
    ['src/main/electron/**', 'src/main/host/**'],
    ['**/renderer/**', '**/server/**'],
    'Layering: the shells import core and shared only.',
  ),
  layer(
    ['src/launch/**'],
    ['**/renderer/**'],
    'Layering: src/launch composes server and cores in one process; it never reaches the renderer.',
  ),
  layer(
    ['src/node/**'],
    ['**/main/**', '**/renderer/**', '**/server/**', 'electron'],
    'Layering: src/node holds Node helpers shared by the core and the server; it imports src/shared only.',
  ),
  layer(
    ['src/server/**'],
    ['**/main/**', '**/renderer/**', 'electron'],
    'Layering: src/server imports src/shared and src/node only; never main or renderer.',
  ),
  // SQL lives behind the stores: services call named query functions (src/main/core/store/queries)
  // and the server's storage interface (src/server/storage), never a connection's prepare, exec
  // or pragma. A regular expression's own .exec (a regex literal) stays allowed.
  {
    files: ['src/main/**', 'src/server/**', 'src/launch/**'],
    ignores: ['src/main/core/store/**', 'src/server/storage/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(prepare|pragma)$/], CallExpression[callee.property.name='exec']:not([callee.object.regex])",
          message: 'SQL belongs in the store: add a named query to src/main/core/store/queries (server: src/server/storage) instead of calling prepare/exec/pragma here.',
        },
      ],
    },
  },
);
