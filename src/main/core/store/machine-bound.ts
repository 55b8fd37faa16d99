import fs from 'node:fs';
import path from 'node:path';
import { openStore, type Db, type OpenOptions } from './open';
import type { CoreLog } from '../log';

/** Store meta: the machine (hashed machine id, src/node/machine-id.ts) this store was made on. */
export const STORE_MACHINE = 'storeMachine';

/**
 * Opens the case store for this machine. A store is a replica with its own id and sequence
 * numbers; a copy of it on a second machine (a roamed or copied profile, a cloned disk) would
 * push as the same replica, and the server would refuse one machine's work or mix the two.
 * So a store found on a machine other than the one it was made on is not used: its folder is
 * set aside whole (`<profile>.from-another-machine-<time>`: nothing deleted; the machine it
 * came from still has it and pushes its own changes) and this machine starts a store of its
 * own, with a new replica id, filled from the server. Without a machine id (the OS gives none)
 * nothing can be checked, and the store is used as it is.
 */
export function openStoreForMachine(
  profileDir: string,
  opts: OpenOptions,
  machineId: string | null | undefined,
  log: CoreLog,
  now: () => number = Date.now,
): { db: Db; setAside: string | null } {
  const file = path.join(profileDir, 'tandem.db');
  const db = openStore(file, opts);
  if (!machineId) return { db, setAside: null };
  const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  // Stores made before this check carry the machine they enrolled on.
  const bound = meta(STORE_MACHINE) ?? meta('workstationMachine');
  if (!bound || bound === machineId) {
    if (meta(STORE_MACHINE) !== machineId) db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(STORE_MACHINE, machineId);
    return { db, setAside: null };
  }
  const replica = meta('replicaId') ?? '(none)';
  // Changes the copy holds that the server has not acknowledged: the machine it came from
  // pushes them; said here in case that machine is gone (IT can open the set-aside copy there).
  const acked = Number(meta('ackedSeq') ?? 0);
  const unpushed = (db.prepare('SELECT count(*) AS n FROM outbox WHERE seq > ?').get(acked) as { n: number }).n;
  db.close();
  const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
  const aside = `${profileDir}.from-another-machine-${stamp}`;
  fs.renameSync(profileDir, aside);
  log('warn', 'The case store here was made on another machine (a copied or roamed profile); it was set aside and this machine starts its own', {
    setAside: aside,
    replica,
    unpushed,
  });
  const fresh = openStore(file, opts);
  fresh.prepare('INSERT INTO meta(key, value) VALUES (?, ?)').run(STORE_MACHINE, machineId);
  return { db: fresh, setAside: aside };
}
