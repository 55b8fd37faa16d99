/**
 * bench:peer's PouchDB server in its own process (as Tandem's sync server is in bench:sync):
 * express-pouchdb over in-memory PouchDB databases, on 127.0.0.1. Tells its port over IPC.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

const require = createRequire(import.meta.url);
interface PouchStatic {
  plugin(p: unknown): PouchStatic;
  defaults(o: object): PouchStatic;
}
const PouchDB = (require('pouchdb-core') as PouchStatic).plugin(require('pouchdb-adapter-memory')).plugin(require('pouchdb-adapter-http')).plugin(require('pouchdb-replication'));
const expressPouchdb = require('express-pouchdb') as (p: PouchStatic, o: object) => { listen(port: number, host: string, cb: () => void): Server };

const app = expressPouchdb(PouchDB.defaults({ adapter: 'memory' }), { mode: 'minimumForPouchDB', inMemoryConfig: true, logPath: '/dev/null' });
const server = app.listen(0, '127.0.0.1', () => process.send!({ t: 'ready', port: (server.address() as AddressInfo).port }));
process.on('message', (m: { t: string }) => {
  if (m.t === 'close') server.close(() => process.exit(0));
});
