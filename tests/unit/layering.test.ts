import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

/**
 * The layering of DESIGN.md is a lint rule; this proves it bites. Each case lints a line of
 * code as if it lived at that path, without writing it anywhere.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering lint', () => {
  it.each([
    ['src/shared/x.ts', "import { createCore } from '../main/core';", 'src/shared is pure'],
    ['src/shared/x.ts', "import fs from 'node:fs';", 'src/shared is pure'],
    ['src/renderer/x.ts', "import { openStore } from '../main/core/store/open';", 'src/renderer imports src/shared only'],
    ['src/renderer/x.ts', "import { ipcRenderer } from 'electron';", 'src/renderer imports src/shared only'],
    ['src/main/core/x.ts', "import { app } from 'electron';", 'src/main/core is plain Node'],
    ['src/main/core/x.ts', "import { App } from '../../renderer/App';", 'src/main/core is plain Node'],
    ['src/server/x.ts', "import { createCore } from '../main/core';", 'src/server imports src/shared and src/node only'],
    ['src/node/x.ts', "import { createCore } from '../main/core';", 'src/node holds Node helpers shared by the core and the server'],
    ['src/node/x.ts', "import { createSyncServer } from '../server/app';", 'src/node holds Node helpers shared by the core and the server'],
    ['src/main/host/x.ts', "import { createSyncServer } from '../../server/app';", 'the shells import core and shared only'],
  ])('%s: %s is refused', async (file, code, message) => {
    const messages = await lint(file, code);
    expect(messages.join('\n')).toContain(message);
  });

  it.each([
    ['src/renderer/x.ts', "import { requests } from '../shared/contract';"],
    ['src/main/core/x.ts', "import fs from 'node:fs';\nimport { requests } from '../../shared/contract';"],
    ['src/server/x.ts', "import { Op } from '../shared/sync/protocol';"],
    ['src/server/x.ts', "import { startCheckpointer } from '../node/checkpointer';"],
    ['src/main/core/x.ts', "import { textOf } from '../../node/text';"],
    ['src/node/x.ts', "import { Worker } from 'node:worker_threads';\nimport { HLC_PATTERN } from '../shared/hlc';"],
  ])('%s may use %s', async (file, code) => {
    expect(await lint(file, code)).toEqual([]);
  });
});
