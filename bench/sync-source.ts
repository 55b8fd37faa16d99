/**
 * The sending workstation of bench:sync, in its own process as on a real floor (two consoles
 * never share a process, and sharing one would have each wait for the other's work).
 * Driven over IPC by bench/sync.ts: seed offline, go online and push, then 1,000 edits.
 */
import { createCore } from '../src/main/core';
import { syncRows } from './sync-data';

type Command = { t: 'seed'; cases: number; eventsPerCase: number; at: string } | { t: 'go' } | { t: 'edit'; n: number; marker: string } | { t: 'close' };

const config = JSON.parse(process.env.TANDEM_BENCH_SOURCE ?? '{}') as { profileDir: string; key: string; serverUrl: string; token: string; password: string };
const core = await createCore({
  profileDir: config.profileDir,
  key: Buffer.from(config.key, 'hex'),
  workstationName: 'source',
  sync: { serverUrl: config.serverUrl, enrollmentToken: config.token },
});
const send = (m: object) => process.send!(m);
const who = (await core.call('session.signIn', { username: 'chris', password: config.password })) as { id: string; name: string };
core.sync!.stop(); // seeded offline, so the whole store is pushed in the measured run
core.on('sync.status', (st) => {
  if (st.state === 'online' && st.pending === 0) send({ t: 'drained' });
});
send({ t: 'ready' });

process.on('message', (cmd: Command) => {
  if (cmd.t === 'seed') {
    core.store.transaction(() => {
      for (const row of syncRows(cmd.cases, cmd.eventsPerCase, cmd.at, who)) core.store.write(row.entity, row.id, row.fields);
    });
    // A store that has held its cases for a while has them in the database file, not the WAL.
    core.store.db.pragma('wal_checkpoint(TRUNCATE)');
    send({ t: 'seeded' });
  } else if (cmd.t === 'go') {
    void core.call('session.signIn', { username: 'chris', password: config.password });
  } else if (cmd.t === 'edit') {
    core.store.transaction(() => {
      for (let k = 0; k < cmd.n; k++) core.store.write('case', `case-${k}`, { risk: 'high', updatedAt: cmd.marker });
    });
  } else {
    core.close();
    process.exit(0);
  }
});
