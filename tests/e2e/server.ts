import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * CAD-side helpers for end-to-end tests against a sync server started with
 * `startSyncServer` (./helpers.ts): a CAD key made with the real CLI, and POST /eido as a
 * CAD would send it.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

/** `npm run server -- cad-key add <name> --data DIR`: the key, printed once. Works next to a running server. */
export function addCadKey(data: string, name: string): string {
  const r = spawnSync(TSX, [path.join(ROOT, 'src/server/cli.ts'), 'cad-key', 'add', name, '--data', data], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TANDEM_LOG_LEVEL: 'silent' },
  });
  if (r.status !== 0) throw new Error(`cad-key add failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

export interface EidoAnswer {
  status: number;
  body: { applied?: boolean; incidentId?: string; code?: string; message?: string };
}

/** POST /eido with the CAD key, as CAD does. */
export async function postEido(serverUrl: string, key: string, document: unknown): Promise<EidoAnswer> {
  const res = await fetch(`${serverUrl}/eido`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: typeof document === 'string' ? document : JSON.stringify(document),
  });
  return { status: res.status, body: (await res.json()) as EidoAnswer['body'] };
}
