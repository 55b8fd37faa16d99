// Lint, and above all the layering of docs/DESIGN.md, written as allow-lists: each layer of
// src/ names what it MAY import (folders and classes of npm packages), so a new folder, a new
// package or a new kind of import fails until someone places it. The rule is
// eslint-plugin-boundaries' `dependencies` with `default: 'disallow'`: it resolves relative
// paths (so `../../x` is judged by where it lands, not by how it is spelled) and reads static
// imports, re-exports, `import()` and `require()`. Tests, bench and scripts are not layered.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

/**
 * Every npm package the project depends on, classified once by where it can run. A package
 * that is in none of these lists may be imported by no layer (tests/unit/layering.test.ts
 * fails when package.json names one that is missing here). Node built-ins (`node:fs`, `fs`)
 * are their own origin and count as node-only.
 */
export const PACKAGE_CLASSES = {
  // Runs anywhere: no Node, DOM or Electron API.
  pure: ['zod', 'luxon', 'fast-xml-parser', 'csv-parse', 'csv-stringify', 'zustand', 'otpauth', 'qrcode'],
  // The UI: renders to a DOM.
  'DOM-only': ['react', 'react-dom', '@tanstack/react-virtual', 'echarts'],
  // Needs Node (native addons, sockets, files, process streams).
  'node-only': ['better-sqlite3-multiple-ciphers', '@node-rs/argon2', 'bufferutil', 'fastify', '@fastify/rate-limit', 'pg', 'pino', 'ws'],
  'electron-only': ['electron', 'electron-log', 'electron-updater'],
  // Builds, packages, lints and tests; never part of a running layer. @types/* are types of
  // packages named above, never imported by their own name.
  'build/test-only': [
    '@axe-core/playwright', '@electron/fuses', '@eslint/js', '@playwright/test', '@vitejs/plugin-react', 'ajv', 'electron-builder', 'esbuild', 'js-yaml', 'node-abi',
    'eslint', 'eslint-plugin-boundaries', 'fast-check', 'tsx', 'typescript', 'typescript-eslint', 'vite', 'vitest',
    // The security scan of the Electron shell (tests/integration/electronegativity.test.ts) and bench:peer's PouchDB.
    '@doyensec/electronegativity', 'express-pouchdb', 'pouchdb-adapter-http', 'pouchdb-adapter-memory', 'pouchdb-core', 'pouchdb-replication',
    '@types/better-sqlite3', '@types/luxon', '@types/node', '@types/pg', '@types/qrcode', '@types/react', '@types/react-dom', '@types/ws',
  ],
};

/** The folders a layer may import from, by element name (see ELEMENTS). */
const FOLDERS = {
  shared: 'src/shared',
  renderer: 'src/renderer',
  node: 'src/node',
  core: 'src/main/core',
  electron: 'src/main/electron',
  host: 'src/main/host',
  server: 'src/server',
  launch: 'src/launch',
  // The shipped run card (config/eligibility-rules.json) is data that src/shared reads.
  config: 'config',
};

/**
 * docs/DESIGN.md's layering: shared ← node ← core ← electron/host ← launch; shared ← renderer;
 * shared ← node ← server; launch composes server, core, host and the Electron shell. Each
 * layer may also import its own folder. `nodeBuiltins`: whether `node:*` is allowed.
 */
export const LAYERS = {
  shared: { folders: ['config'], packages: ['pure'], nodeBuiltins: false },
  renderer: { folders: ['shared'], packages: ['pure', 'DOM-only'], nodeBuiltins: false },
  node: { folders: ['shared'], packages: ['pure', 'node-only'], nodeBuiltins: true },
  core: { folders: ['shared', 'node'], packages: ['pure', 'node-only'], nodeBuiltins: true },
  electron: { folders: ['shared', 'node', 'core'], packages: ['pure', 'node-only', 'electron-only'], nodeBuiltins: true },
  host: { folders: ['shared', 'node', 'core'], packages: ['pure', 'node-only'], nodeBuiltins: true },
  server: { folders: ['shared', 'node'], packages: ['pure', 'node-only'], nodeBuiltins: true },
  launch: { folders: ['shared', 'node', 'core', 'host', 'electron', 'server'], packages: ['pure', 'node-only'], nodeBuiltins: true },
};

const NODE_GLOBALS = { process: 'readonly', console: 'readonly', require: 'readonly', exports: 'writable', module: 'writable', __dirname: 'readonly', URL: 'readonly' };

function packagesOf(classes) {
  return classes.flatMap((c) => PACKAGE_CLASSES[c]);
}

/** The lint message for a refused import: which layer, and everything it may import. */
function layerMessage(name, { folders, packages, nodeBuiltins }) {
  const own = FOLDERS[name];
  const mayFolders = [own, ...folders.map((f) => FOLDERS[f])].join(', ');
  const mayPackages = packages.join(', ') + (nodeBuiltins ? ' (and Node built-ins)' : '');
  return `Layering: ${own} may import only ${mayFolders} and packages classed ${mayPackages} in eslint.config.js; '{{dependency.source}}' is none of these.`;
}

/** One config block per layer: its allow-list, and nothing else passes. */
function layer(name) {
  const spec = LAYERS[name];
  const allow = [
    { to: { element: { types: [name, ...spec.folders] } } },
    { to: { module: { origin: 'external', source: packagesOf(spec.packages) } } },
  ];
  if (spec.nodeBuiltins) allow.push({ to: { module: { origin: 'core' } } });
  return {
    files: [`${FOLDERS[name]}/**`],
    rules: {
      'boundaries/dependencies': ['error', {
        default: 'disallow',
        // External packages, Node built-ins and files outside every layer are judged too.
        checkAllOrigins: true,
        checkUnknownLocals: true,
        message: layerMessage(name, spec),
        policies: [{ allow }],
      }],
    },
  };
}

// An import whose target is computed at run time cannot be checked against an allow-list.
const UNCHECKABLE_IMPORTS = [
  {
    selector: 'ImportExpression[source.type!="Literal"]',
    message: 'Layering: import() in src/ must name its target as a string literal, so the layering rule can check it.',
  },
  {
    selector: 'CallExpression[callee.name="require"][arguments.0.type!="Literal"]',
    message: 'Layering: require() in src/ must name its target as a string literal, so the layering rule can check it.',
  },
];

export default tseslint.config(
  { ignores: ['bench/.out/**', 'dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'tests/fixtures/layering/**', 'tests/fixtures/test-report/vitest/syntax-error.check.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Build scripts and packaging hooks run in Node.
    files: ['scripts/**', 'build/**', '*.js', '*.cjs', '*.mjs', 'tests/helpers/*.cjs'],
    languageOptions: { globals: NODE_GLOBALS },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/**'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': Object.entries(FOLDERS).map(([type, pattern]) => ({ type, pattern })),
      // Besides import, export-from, import() and require(): `import('x').T` type references
      // and `import x = require('x')`.
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import', 'require'],
      'boundaries/additional-dependency-nodes': [
        { selector: 'TSImportType > Literal', kind: 'type', name: 'import-type' },
        { selector: 'TSExternalModuleReference > Literal', kind: 'value', name: 'import-equals' },
      ],
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.json'] } },
    },
    rules: { 'no-restricted-syntax': ['error', ...UNCHECKABLE_IMPORTS] },
  },
  {
    // A file in src/ outside every layer (a new folder) is refused until it is placed.
    files: ['src/**'],
    ignores: Object.keys(LAYERS).map((name) => `${FOLDERS[name]}/**`),
    rules: {
      'no-restricted-syntax': ['error', ...UNCHECKABLE_IMPORTS, {
        selector: 'Program',
        message: `Layering: this file is in no layer of src/ (${Object.keys(LAYERS).map((name) => FOLDERS[name]).join(', ')}); add its folder to LAYERS in eslint.config.js, with what it may import.`,
      }],
    },
  },
  ...Object.keys(LAYERS).map(layer),
  // SQL lives behind the stores: services call named query functions (src/main/core/store/queries)
  // and the server's storage interface (src/server/storage), never a connection's prepare, exec
  // or pragma. A regular expression's own .exec (a regex literal) stays allowed. It repeats
  // UNCHECKABLE_IMPORTS because a later block's options for a rule replace an earlier block's.
  {
    files: ['src/main/**', 'src/server/**', 'src/launch/**'],
    ignores: ['src/main/core/store/**', 'src/server/storage/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...UNCHECKABLE_IMPORTS,
        {
          selector: "CallExpression[callee.property.name=/^(prepare|pragma)$/], CallExpression[callee.property.name='exec']:not([callee.object.regex])",
          message: 'SQL belongs in the store: add a named query to src/main/core/store/queries (server: src/server/storage) instead of calling prepare/exec/pragma here.',
        },
      ],
    },
  },
);
