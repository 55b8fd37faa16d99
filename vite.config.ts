import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { META_CSP } from './src/main/electron/policy';

/**
 * The built page carries the CSP as a <meta> tag as well as in the headers its servers send
 * (Electron's app:// handler, the headless host): a page opened any other way is still held
 * to it. Only in the build: Vite's dev server injects inline scripts.
 */
const cspMeta = (): Plugin => ({
  name: 'tandem-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: META_CSP }, injectTo: 'head-prepend' }],
});

/**
 * The renderer build. Root is the repo root (index.html here, code in src/renderer).
 * Output goes to dist/renderer with relative asset paths, so Electron's custom protocol and
 * the headless host can both serve it from any base.
 *
 * Development against a running headless host: TANDEM_HOST=http://127.0.0.1:PORT npx vite,
 * then open http://localhost:5173/?token=<the host's token>; /bridge is proxied to the host.
 */
const hostTarget = process.env.TANDEM_HOST;

export default defineConfig({
  root: '.',
  base: './',
  plugins: [react(), cspMeta()],
  publicDir: false,
  build: {
    outDir: 'dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inline polyfill script: the pages run under a CSP without 'unsafe-inline' scripts.
    modulePreload: { polyfill: false },
    rollupOptions: {
      onwarn(warning, warn) {
        // zod ships /*#__PURE__*/ comments Rollup cannot place; harmless, and noise in every build.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: hostTarget ? { '/bridge': { target: hostTarget, ws: true } } : undefined,
  },
});
