import { serverCommand } from './helpers';

/**
 * CAD-side helpers for end-to-end tests against a sync server started with
 * `startSyncServer` (./helpers.ts): a CAD key made with the real CLI, and POST /eido as a
 * CAD would send it.
 */

/** `npm run server -- cad-key add <name> --data DIR`: the key, printed once. Works next to a running server. */
export function addCadKey(data: string, name: string): string {
  return serverCommand(['cad-key', 'add', name, '--data', data], { TANDEM_LOG_LEVEL: 'silent' }).trim();
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
