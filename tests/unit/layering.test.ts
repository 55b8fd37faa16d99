import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

/**
 * The layering of docs/DESIGN.md is a lint rule written as allow-lists; this proves it bites
 * and that it fails closed. Each case lints a snippet as if it lived at that path, without
 * writing it anywhere.
 */
const eslint = new ESLint({ cwd: process.cwd() });
const LAYERING_RULES = new Set(['boundaries/dependencies', 'no-restricted-syntax']);

async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId && LAYERING_RULES.has(m.ruleId)).map((m) => m.message);
}

const RENDERER_MAY = 'Layering: src/renderer may import only src/renderer, src/shared and packages classed pure, DOM-only in';
const SHARED_MAY = 'Layering: src/shared may import only src/shared, config and packages classed pure in';
const CORE_MAY = 'Layering: src/main/core may import only src/main/core, src/shared, src/node and packages classed pure, node-only (and Node built-ins)';

describe('layering lint refuses what a layer has not been allowed', () => {
  it.each([
    // The holes the old deny-lists let through.
    ['src/renderer/x.ts', "import { textOf } from '../node/text';", RENDERER_MAY],
    ['src/renderer/views/x.tsx', "import { startDemoServer } from '../../launch/demo-server';", RENDERER_MAY],
    ['src/shared/x.ts', "import { textOf } from '../node/text';", SHARED_MAY],
    ['src/renderer/x.ts', "import WebSocket from 'ws';", RENDERER_MAY],
    ['src/renderer/x.ts', "import Database from 'better-sqlite3-multiple-ciphers';", RENDERER_MAY],
    ['src/renderer/x.ts', "import Database from 'better-sqlite3';", RENDERER_MAY],
    ['src/shared/x.ts', "import pino from 'pino';", SHARED_MAY],
    ['src/main/core/x.ts', "export async function f() { return import('../../server/app'); }", CORE_MAY],
    // What the old lists also refused.
    ['src/shared/x.ts', "import { createCore } from '../main/core';", SHARED_MAY],
    ['src/shared/x.ts', "import fs from 'node:fs';", SHARED_MAY],
    ['src/shared/x.ts', "import React from 'react';", SHARED_MAY],
    ['src/renderer/x.ts', "import { openStore } from '../main/core/store/open';", RENDERER_MAY],
    ['src/renderer/x.ts', "import { ipcRenderer } from 'electron';", RENDERER_MAY],
    ['src/main/core/x.ts', "import { app } from 'electron';", CORE_MAY],
    ['src/main/core/x.ts', "import { App } from '../../renderer/App';", CORE_MAY],
    ['src/main/core/x.ts', "import { startShell } from '../electron/shell';", CORE_MAY],
    ['src/server/x.ts', "import { createCore } from '../main/core';", 'Layering: src/server may import only src/server, src/shared, src/node and'],
    ['src/node/x.ts', "import { createSyncServer } from '../server/app';", 'Layering: src/node may import only src/node, src/shared and'],
    ['src/main/host/x.ts', "import { createSyncServer } from '../../server/app';", 'Layering: src/main/host may import only src/main/host, src/shared, src/node, src/main/core and'],
    ['src/launch/x.ts', "import { App } from '../renderer/App';", 'Layering: src/launch may import only'],
    // Fails closed: unclassified packages, paths out of every layer, every kind of import.
    ['src/server/x.ts', "import leftPad from 'left-pad';", 'Layering: src/server may import only'],
    ['src/renderer/x.ts', "import { tempDir } from '../../tests/helpers/tmp';", RENDERER_MAY],
    ['src/renderer/x.ts', "import pkg from '../../package.json';", RENDERER_MAY],
    ['src/shared/x.ts', "export { createCore } from '../main/core';", SHARED_MAY],
    ['src/shared/x.ts', "export * from '../main/core';", SHARED_MAY],
    ['src/shared/x.ts', "const fs = require('fs');", SHARED_MAY],
    ['src/renderer/x.ts', "export type App = import('../server/app').SyncServer;", RENDERER_MAY],
    ['src/main/core/x.ts', 'export async function f(m: string) { return import(m); }', 'import() in src/ must name its target as a string literal'],
    ['src/main/core/x.ts', 'export function f(m: string) { return require(m); }', 'require() in src/ must name its target as a string literal'],
  ])('%s: %s is refused', async (file, code, message) => {
    const messages = await lint(file, code);
    expect(messages.join('\n')).toContain(message);
  });

  it('names the refused import in the message', async () => {
    const [message] = await lint('src/shared/x.ts', "import pino from 'pino';");
    expect(message).toContain("'pino' is none of these");
  });

  it.each(['src/plugins/x.ts', 'src/index.ts'])('refuses %s, in no layer, until it is placed', async (file) => {
    const messages = await lint(file, "import { z } from 'zod';");
    expect(messages.join('\n')).toContain('Layering: this file is in no layer of src/ (src/shared, src/renderer');
  });
});

describe('layering lint lets each layer use what it is allowed', () => {
  it.each([
    ['src/renderer/x.ts', "import { requests } from '../shared/contract';"],
    ['src/renderer/views/x.tsx', "import { useState } from 'react';\nimport { createStore } from 'zustand/vanilla';\nimport { useVirtualizer } from '@tanstack/react-virtual';\nimport { Chip } from './common';"],
    ['src/shared/eido/x.ts', "import rules from '../../../config/eligibility-rules.json';\nimport { z } from 'zod';\nimport { DateTime } from 'luxon';"],
    ['src/main/core/x.ts', "import fs from 'node:fs';\nimport { requests } from '../../shared/contract';\nimport WebSocket from 'ws';"],
    ['src/server/x.ts', "import { Op } from '../shared/sync/protocol';\nimport pino from 'pino';\nimport Fastify from 'fastify';"],
    ['src/server/x.ts', "import { startCheckpointer } from '../node/checkpointer';"],
    ['src/main/core/x.ts', "import { textOf } from '../../node/text';"],
    ['src/node/x.ts', "import { Worker } from 'node:worker_threads';\nimport { HLC_PATTERN } from '../shared/hlc';"],
    ['src/main/electron/x.ts', "import { app } from 'electron';\nimport { createCore } from '../core';"],
    ['src/launch/x.ts', "import { createSyncServer } from '../server/app';\nimport { createCore } from '../main/core';\nimport { startHostServer } from '../main/host/server';\nimport { startShell } from '../main/electron/shell';"],
    ['src/main/core/x.ts', "export async function f() { return import('../../shared/contract'); }"],
  ])('%s may use %s', async (file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });
});

describe('package classification', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const declared = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)];

  async function packageClasses(): Promise<Record<string, string[]>> {
    const config = (await import(pathToFileURL(resolve('eslint.config.js')).href)) as { PACKAGE_CLASSES: Record<string, string[]> };
    return config.PACKAGE_CLASSES;
  }

  it('classifies every package in package.json exactly once', async () => {
    const classes = await packageClasses();
    const classesOf = (name: string) => Object.keys(classes).filter((c) => classes[c].includes(name));
    const unclassified = declared.filter((name) => classesOf(name).length !== 1);
    expect(unclassified, 'add each to one class of PACKAGE_CLASSES in eslint.config.js').toEqual([]);
  });

  it('classifies no package that package.json does not declare', async () => {
    const classified = Object.values(await packageClasses()).flat();
    expect(classified.filter((name) => !declared.includes(name))).toEqual([]);
  });
});
