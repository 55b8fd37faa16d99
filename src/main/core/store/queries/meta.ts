import type { ReadHandle, WriteHandle } from '../handles';

/** The store's own settings and counters (replica id, cursor, HLC, pending completions…): one text value per key. */
export function metaValue(r: ReadHandle, key: string): string | undefined {
  return r.statement<[string], string>('SELECT value FROM meta WHERE key = ?', 'value').get(key);
}

export function setMetaValue(w: WriteHandle, key: string, value: string): void {
  w.writer<[string, string]>('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
