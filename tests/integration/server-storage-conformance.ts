import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerStorage, UserRecord } from '../../src/server/storage/types';
import { SERVER_REPLICA, decodeChange } from '../../src/server/storage/types';
import { yieldToEventLoop } from '../helpers/wait-for';

/**
 * What every ServerStorage implementation must do. SQLite runs it now; PostgreSQL will run
 * the same suite (DESIGN.md: one interface, two implementations, one conformance suite).
 */
export function describeStorageConformance(name: string, open: () => Promise<{ storage: ServerStorage; cleanup: () => Promise<void> }>): void {
  describe(`ServerStorage conformance: ${name}`, () => {
    let storage: ServerStorage;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ storage, cleanup } = await open());
    });
    afterEach(() => cleanup());

    const at = '2026-01-01T00:00:00.000Z';
    const user = (id: string, username: string): UserRecord => ({
      id,
      username,
      passwordHash: '$argon2id$fake',
      role: 'clinician',
      name: username,
      directLine: null,
      createdAt: at,
      disabled: false,
    });
    const ws = (id: string) => ({ id, name: id, secretHash: 'ab'.repeat(32), enrolledAt: at, revoked: false, revokedAt: null });
    const op = (replica: string, seq: number, entity: 'incident' | 'case' | 'handoff', id: string, fields: Record<string, unknown>) => ({
      replica,
      seq,
      hlc: `${String(1_700_000_000_000 + seq).padStart(15, '0')}:000000:${replica}`,
      entity,
      id,
      fields,
    });

    it('commits a transaction whole, or rolls it back whole', async () => {
      await storage.transaction((tx) => tx.insertUser(user('u1', 'ann')));
      await expect(
        storage.transaction(async (tx) => {
          await tx.insertUser(user('u2', 'ben'));
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      const users = await storage.transaction((tx) => tx.listUsers(), { readOnly: true });
      expect(users.map((u) => u.username)).toEqual(['ann']);
      expect(await storage.transaction((tx) => tx.getUserByUsername('ANN'))).toMatchObject({ id: 'u1', role: 'clinician', disabled: false });
    });

    it('serializes transactions: concurrent read-modify-writes lose nothing', async () => {
      await storage.transaction(async (tx) => {
        await tx.insertWorkstation(ws('w1'));
        await tx.insertReplica({ replica: 'r1', workstationId: 'w1', lastSeq: 0 });
      });
      await Promise.all(
        Array.from({ length: 25 }, () =>
          storage.transaction(async (tx) => {
            const rep = await tx.getReplica('r1');
            await yieldToEventLoop(); // let the other transactions interleave here
            await tx.setReplicaLastSeq('r1', (rep?.lastSeq ?? 0) + 1);
          }),
        ),
      );
      expect(await storage.transaction((tx) => tx.getReplica('r1'))).toEqual({ replica: 'r1', workstationId: 'w1', lastSeq: 25 });
    });

    it('has the server replica bound to no workstation', async () => {
      expect(await storage.transaction((tx) => tx.getReplica(SERVER_REPLICA))).toEqual({ replica: SERVER_REPLICA, workstationId: null, lastSeq: 0 });
    });

    it('appends to the change log with increasing cursors and reads it back filtered and bounded', async () => {
      const cursors = await storage.transaction(async (tx) => {
        const out: number[] = [];
        out.push(await tx.appendChange(op('r1', 1, 'incident', 'i1', { type: 'a' })));
        out.push(await tx.appendChange(op('r1', 2, 'case', 'c1', { reason: 'b' })));
        out.push(await tx.appendChange(op('r1', 3, 'incident', 'i1', { type: 'c' })));
        return out;
      });
      expect(cursors[0]).toBeGreaterThan(0);
      expect(cursors[1]).toBeGreaterThan(cursors[0]);
      expect(cursors[2]).toBeGreaterThan(cursors[1]);
      await storage.transaction(async (tx) => {
        expect(await tx.getCursor()).toBe(cursors[2]);
        const all = (await tx.readChanges(0, 10, null)).map(decodeChange);
        expect(all.map((o) => o.cursor)).toEqual(cursors);
        expect(all[1]).toEqual({ ...op('r1', 2, 'case', 'c1', { reason: 'b' }), cursor: cursors[1] });
        const seqs = async (...args: Parameters<typeof tx.readChanges>) => (await tx.readChanges(...args)).map(decodeChange).map((o) => o.seq);
        expect(await seqs(cursors[0], 1, null)).toEqual([2]);
        expect(await seqs(0, 10, ['incident'])).toEqual([1, 3]);
        expect(await tx.readChanges(0, 10, [])).toEqual([]);
        expect(await seqs(0, 10, ['incident'], 'w-none')).toEqual([1, 3]);
        expect(await tx.maxHlc()).toBe(op('r1', 3, 'incident', 'i1', {}).hlc);
      });
      await expect(storage.transaction((tx) => tx.appendChange(op('r1', 2, 'case', 'c1', {})))).rejects.toThrow();
    });

    it("leaves out a workstation's own ops when asked, and only those", async () => {
      const cursors = await storage.transaction(async (tx) => {
        await tx.insertWorkstation(ws('w1'));
        await tx.insertWorkstation(ws('w2'));
        await tx.insertReplica({ replica: 'r1', workstationId: 'w1', lastSeq: 0 });
        await tx.insertReplica({ replica: 'r1b', workstationId: 'w1', lastSeq: 0 });
        await tx.insertReplica({ replica: 'r2', workstationId: 'w2', lastSeq: 0 });
        const out: number[] = [];
        out.push(await tx.appendChange(op('r1', 1, 'incident', 'i1', { type: 'a' })));
        out.push(await tx.appendChange(op('r2', 1, 'incident', 'i2', { type: 'b' })));
        out.push(await tx.appendChange(op('r1b', 1, 'case', 'c1', { reason: 'c' })));
        out.push(await tx.appendChange(op('r2', 2, 'case', 'c2', { reason: 'd' })));
        return out;
      });
      await storage.transaction(async (tx) => {
        const at = async (...args: Parameters<typeof tx.readChanges>) => (await tx.readChanges(...args)).map(decodeChange).map((o) => o.cursor);
        expect(await at(0, 10, null, 'w1')).toEqual([cursors[1], cursors[3]]);
        expect(await at(0, 10, null, 'w2')).toEqual([cursors[0], cursors[2]]);
        expect(await at(0, 1, ['case'], 'w1')).toEqual([cursors[3]]);
        expect(await at(cursors[1], 10, null, 'w1')).toEqual([cursors[3]]);
        expect((await tx.readChanges(0, 10, null, null)).length).toBe(4);
      }, { readOnly: true });
    });

    it('hands out each change with its fields as the JSON text stored, whatever they hold', async () => {
      const awkward = { reason: 'Line one\nline "two" \\ ünïcödé \u2028 done', consent: { given: true, at: null, notes: ['a', 1.5] } };
      const cursors = await storage.transaction(async (tx) => {
        await tx.insertWorkstation(ws('w1'));
        await tx.insertReplica({ replica: 'r1', workstationId: 'w1', lastSeq: 0 });
        const out: number[] = [];
        out.push(await tx.appendChange(op('r1', 1, 'incident', 'i1', { type: 'a' })));
        out.push(await tx.appendChange(op('r2', 1, 'case', 'c"1', awkward)));
        out.push(await tx.appendChange(op('r2', 2, 'incident', 'i2', { type: 'b' })));
        return out;
      });
      await storage.transaction(async (tx) => {
        const all = await tx.readChanges(0, 10, null);
        // Plain values: each row's fields as the text a pull can send on unparsed.
        expect(all.map((row) => row.map((v) => typeof v))).toEqual(Array(3).fill(['number', 'string', 'number', 'string', 'string', 'string', 'string']));
        expect(all.map(decodeChange)).toEqual([
          { ...op('r1', 1, 'incident', 'i1', { type: 'a' }), cursor: cursors[0] },
          { ...op('r2', 1, 'case', 'c"1', awkward), cursor: cursors[1] },
          { ...op('r2', 2, 'incident', 'i2', { type: 'b' }), cursor: cursors[2] },
        ]);
        const [stored] = await tx.readChanges(0, 10, ['case']);
        expect(JSON.parse(stored[6])).toEqual(awkward);
        expect(await tx.readChanges(cursors[2], 10, null)).toEqual([]);
      }, { readOnly: true });
    });

    it('keeps materialized rows and finds them by field', async () => {
      await storage.transaction(async (tx) => {
        await tx.putEntity('handoff', 'h1', { data: { state: 'ringing', declines: [] }, clocks: { state: 'x' } }, 1);
        await tx.putEntity('handoff', 'h2', { data: { state: 'accepted' }, clocks: {} }, 2);
        await tx.putEntity('handoff', 'h1', { data: { state: 'ringing', declines: [{ by: 'u' }] }, clocks: { state: 'y' } }, 3);
      });
      await storage.transaction(async (tx) => {
        expect(await tx.getEntity('handoff', 'h1')).toEqual({ data: { state: 'ringing', declines: [{ by: 'u' }] }, clocks: { state: 'y' } });
        expect(await tx.getEntity('handoff', 'nope')).toBeNull();
        expect(await tx.getEntity('incident', 'h1')).toBeNull();
        expect((await tx.findEntities('handoff', { state: 'ringing' })).map((r) => r.id)).toEqual(['h1']);
      });
    });

    it("keeps each row's author, and moves only its owner", async () => {
      await storage.transaction(async (tx) => {
        expect(await tx.getRowAuthor('case', 'c1')).toBeNull();
        await tx.putRowAuthor('case', 'c1', { authorId: 'u1', ownerId: 'u1' });
        await tx.putRowAuthor('case', 'c1', { authorId: 'u2', ownerId: 'u3' }); // the author stays
        await tx.putRowAuthor('person', 'c1', { authorId: 'u4', ownerId: null });
      });
      expect(await storage.transaction((tx) => tx.getRowAuthor('case', 'c1'))).toEqual({ authorId: 'u1', ownerId: 'u3' });
      expect(await storage.transaction((tx) => tx.getRowAuthor('person', 'c1'))).toEqual({ authorId: 'u4', ownerId: null });
    });

    it('uses an enrollment token once', async () => {
      await storage.transaction(async (tx) => {
        await tx.insertWorkstation(ws('w1'));
        await tx.insertEnrollmentToken({ tokenHash: 'cd'.repeat(32), name: 'desk', createdAt: at, expiresAt: at, usedAt: null, workstationId: null });
      });
      expect(await storage.transaction((tx) => tx.useEnrollmentToken('cd'.repeat(32), at, 'w1'))).toBe(true);
      expect(await storage.transaction((tx) => tx.useEnrollmentToken('cd'.repeat(32), at, 'w1'))).toBe(false);
      expect(await storage.transaction((tx) => tx.getEnrollmentToken('cd'.repeat(32)))).toMatchObject({ usedAt: at, workstationId: 'w1', name: 'desk' });
    });

    it('expires and revokes sessions', async () => {
      await storage.transaction(async (tx) => {
        await tx.insertUser(user('u1', 'ann'));
        await tx.insertWorkstation(ws('w1'));
        await tx.insertWorkstation(ws('w2'));
        await tx.insertSession({ tokenHash: 'a1', userId: 'u1', workstationId: 'w1', createdAt: at, expiresAt: '2026-01-01T01:00:00.000Z' });
        await tx.insertSession({ tokenHash: 'a2', userId: 'u1', workstationId: 'w1', createdAt: at, expiresAt: '2026-01-03T00:00:00.000Z' });
        await tx.insertSession({ tokenHash: 'a3', userId: 'u1', workstationId: 'w2', createdAt: at, expiresAt: '2026-01-03T00:00:00.000Z' });
      });
      await storage.transaction(async (tx) => {
        expect((await tx.counts('2026-01-02T00:00:00.000Z')).liveSessions).toBe(2);
        expect(await tx.deleteExpiredSessions('2026-01-02T00:00:00.000Z')).toBe(1);
        expect(await tx.getSession('a1')).toBeNull();
        expect(await tx.revokeWorkstation('w1', at)).toBe(true);
        expect(await tx.revokeWorkstation('nope', at)).toBe(false);
        expect(await tx.deleteSessionsOfWorkstation('w1')).toBe(1);
        expect(await tx.getSession('a3')).toMatchObject({ userId: 'u1', workstationId: 'w2' });
        expect(await tx.getWorkstation('w1')).toMatchObject({ revoked: true, revokedAt: at });
      });
    });

    it('keeps refused ops, even malformed ones, newest first', async () => {
      await storage.transaction(async (tx) => {
        await tx.insertRefused({ replica: null, seq: null, workstationId: 'w1', userId: 'u1', reason: 'malformed', op: 42, refusedAt: at });
        await tx.insertRefused({ replica: 'r1', seq: 3, workstationId: 'w1', userId: 'u1', reason: 'nope', op: { a: [1] }, refusedAt: at });
      });
      const rows = await storage.transaction((tx) => tx.listRefused(10));
      expect(rows.map((r) => [r.reason, r.op])).toEqual([
        ['nope', { a: [1] }],
        ['malformed', 42],
      ]);
    });

    it('keeps CAD keys by name and hash; revocation keeps its first time; use is recorded', async () => {
      const key = { name: 'cad-north', keyHash: 'cd'.repeat(32), createdAt: at, revoked: false, revokedAt: null, lastUsedAt: null };
      await storage.transaction((tx) => tx.insertCadKey(key));
      await expect(storage.transaction((tx) => tx.insertCadKey({ ...key, keyHash: 'ef'.repeat(32) }))).rejects.toThrow();
      await expect(storage.transaction((tx) => tx.insertCadKey({ ...key, name: 'other' }))).rejects.toThrow();
      expect(await storage.transaction((tx) => tx.getCadKeyByHash('cd'.repeat(32)))).toEqual(key);
      expect(await storage.transaction((tx) => tx.getCadKeyByHash('00'.repeat(32)))).toBeNull();
      await storage.transaction((tx) => tx.touchCadKey('cad-north', '2026-01-02T00:00:00.000Z'));
      expect(await storage.transaction((tx) => tx.revokeCadKey('cad-north', '2026-01-03T00:00:00.000Z'))).toBe(true);
      expect(await storage.transaction((tx) => tx.revokeCadKey('cad-north', '2026-01-04T00:00:00.000Z'))).toBe(true);
      expect(await storage.transaction((tx) => tx.revokeCadKey('nobody', at))).toBe(false);
      expect(await storage.transaction((tx) => tx.getCadKey('cad-north'))).toEqual({
        ...key,
        revoked: true,
        revokedAt: '2026-01-03T00:00:00.000Z',
        lastUsedAt: '2026-01-02T00:00:00.000Z',
      });
      expect((await storage.transaction((tx) => tx.listCadKeys())).map((k) => k.name)).toEqual(['cad-north']);
    });

    it('keeps refused EIDO documents byte for byte, newest first', async () => {
      const bytes = Buffer.from([0x7b, 0xff, 0x00, 0x22, 0xe2, 0x82]); // not UTF-8: kept exactly anyway
      const ids = await storage.transaction(async (tx) => [
        await tx.insertEidoRejection({ receivedAt: at, source: 'http', cadKey: 'cad-north', code: 'not_json', path: null, message: 'm1', bytes: 6, raw: bytes, truncated: false }),
        await tx.insertEidoRejection({ receivedAt: at, source: 'http', cadKey: null, code: 'oversize', path: 'x.y', message: 'm2', bytes: 9_000_000, raw: Buffer.from('{"head'), truncated: true }),
      ]);
      expect(ids[1]).toBeGreaterThan(ids[0]);
      const rows = await storage.transaction((tx) => tx.listEidoRejections(10));
      expect(rows.map((r) => [r.id, r.code, r.path, r.cadKey, r.bytes, r.truncated])).toEqual([
        [ids[1], 'oversize', 'x.y', null, 9_000_000, true],
        [ids[0], 'not_json', null, 'cad-north', 6, false],
      ]);
      expect(Buffer.from(rows[1].raw).equals(bytes)).toBe(true);
      expect(await storage.transaction((tx) => tx.listEidoRejections(1))).toHaveLength(1);
    });

    it('refuses a transaction handle used after its transaction ended', async () => {
      let leaked: Parameters<Parameters<ServerStorage['transaction']>[0]>[0] | null = null;
      await storage.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.listUsers()).rejects.toThrow();
    });
  });
}
