import type { ReadHandle } from '../handles';

/** Every directory entry's stored record (JSON text, as imported or synced). */
export function directoryRecords(r: ReadHandle): { id: string; record: string | null }[] {
  return r.statement<[], { id: string; record: string | null }>('SELECT id, record FROM resource_service').all();
}

/** Every directory entry's content hash, to import only what changed. */
export function directoryContentHashes(r: ReadHandle): Map<string, string | null> {
  const rows = r.statement<[], [string, string | null]>('SELECT id, contentHash FROM resource_service', 'array').all();
  return new Map(rows);
}

