import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RowClaim, ServerStorage, UserRecord } from '../../src/server/storage/types';
import { SERVER_REPLICA, decodeChange } from '../../src/server/storage/types';
import { yieldToEventLoop } from '../helpers/wait-for';

/**
 * What every ServerStorage implementation must do: SQLite (server.storage.test.ts) and
 * PostgreSQL (server.storage.postgres.test.ts) run the same suite (DESIGN.md: one interface,
 * two implementations, one conformance suite). A method added to StorageTx gets its case here.
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

    it('disables a user and replaces its password hash; says when there is no such user', async () => {
      await storage.transaction(async (tx) => {
        await tx.insertUser(user('u1', 'ann'));
        await tx.insertUser(user('u2', 'ben'));
      });
      await storage.transaction(async (tx) => {
        expect(await tx.setUserDisabled('u1', true)).toBe(true);
        expect(await tx.setUserDisabled('nobody', true)).toBe(false);
        await tx.setUserPasswordHash('u1', '$argon2id$new');
      });
      expect(await storage.transaction((tx) => tx.getUser('u1'))).toMatchObject({ disabled: true, passwordHash: '$argon2id$new' });
      expect(await storage.transaction((tx) => tx.getUser('u2'))).toMatchObject({ disabled: false, passwordHash: '$argon2id$fake' });
      expect(await storage.transaction((tx) => tx.setUserDisabled('u1', false))).toBe(true);
      expect(await storage.transaction((tx) => tx.getUserByUsername('Ann'))).toMatchObject({ disabled: false });
    });

    it("keeps a user's two-step sign-in apart, replaces it whole, and forgets it", async () => {
      await storage.transaction((tx) => tx.insertUser(user('u-m', 'mia')));
      expect(await storage.transaction((tx) => tx.getMfa('u-m'))).toBeNull();
      const rec = { userId: 'u-m', secret: null, pendingSecret: 'JBSWY3DPEHPK3PXP', required: true, lastStep: null, recovery: [], enrolledAt: null };
      await storage.transaction((tx) => tx.putMfa(rec));
      expect(await storage.transaction((tx) => tx.getMfa('u-m'))).toEqual(rec);
      const done = { ...rec, secret: rec.pendingSecret, pendingSecret: null, lastStep: 59_000_123, recovery: ['ab'.repeat(32), 'cd'.repeat(32)], enrolledAt: at };
      await storage.transaction((tx) => tx.putMfa(done));
      expect(await storage.transaction((tx) => tx.getMfa('u-m'))).toEqual(done);
      expect(await storage.transaction((tx) => tx.deleteMfa('u-m'))).toBe(true);
      expect(await storage.transaction((tx) => tx.deleteMfa('u-m'))).toBe(false);
      expect(await storage.transaction((tx) => tx.getMfa('u-m'))).toBeNull();
    });

    it('counts failed sign-ins per lower-cased username, known or not, and forgets them when cleared', async () => {
      const rec = { username: 'Ghost', failures: 1, lastFailedAt: at, lockedUntil: null, locked: false };
      await storage.transaction((tx) => tx.putSignInFailures(rec));
      expect(await storage.transaction((tx) => tx.getSignInFailures('GHOST'))).toEqual({ ...rec, username: 'ghost' });
      const later = { username: 'ghost', failures: 5, lastFailedAt: '2026-01-01T00:05:00.000Z', lockedUntil: '2026-01-01T00:06:00.000Z', locked: true };
      await storage.transaction((tx) => tx.putSignInFailures(later));
      expect(await storage.transaction((tx) => tx.getSignInFailures('ghost'))).toEqual(later);
      expect(await storage.transaction((tx) => tx.getSignInFailures('other'))).toBeNull();
      expect(await storage.transaction((tx) => tx.clearSignInFailures('gHoSt'))).toBe(true);
      expect(await storage.transaction((tx) => tx.clearSignInFailures('ghost'))).toBe(false);
      expect(await storage.transaction((tx) => tx.getSignInFailures('ghost'))).toBeNull();
    });

    it('keeps site enrollment keys: expiry takes the earlier time, revocation by id or name keeps its first time, use is counted', async () => {
      const key = (id: string, name: string, hash: string) => ({ id, keyHash: hash, name, createdAt: at, expiresAt: null, revokedAt: null, uses: 0, lastUsedAt: null });
      await storage.transaction(async (tx) => {
        await tx.insertEnrollmentKey(key('k1', 'floor', 'a1'.repeat(32)));
        await tx.insertEnrollmentKey({ ...key('k2', 'floor', 'a2'.repeat(32)), expiresAt: '2026-01-01T00:30:00.000Z' });
        await tx.insertEnrollmentKey(key('k3', 'annex', 'a3'.repeat(32)));
      });
      // The same key hash twice is refused.
      await expect(storage.transaction((tx) => tx.insertEnrollmentKey(key('k4', 'other', 'a1'.repeat(32))))).rejects.toThrow();
      expect(await storage.transaction((tx) => tx.getEnrollmentKeyByHash('a1'.repeat(32)))).toEqual(key('k1', 'floor', 'a1'.repeat(32)));
      expect(await storage.transaction((tx) => tx.getEnrollmentKeyByHash('00'.repeat(32)))).toBeNull();

      expect(await storage.transaction((tx) => tx.expireEnrollmentKeys('floor', '2026-01-01T01:00:00.000Z'))).toBe(2);
      let keys = await storage.transaction((tx) => tx.listEnrollmentKeys());
      expect(keys.map((k) => [k.id, k.expiresAt])).toEqual([
        ['k1', '2026-01-01T01:00:00.000Z'],
        ['k2', '2026-01-01T00:30:00.000Z'], // already earlier: kept
        ['k3', null],
      ]);

      expect(await storage.transaction((tx) => tx.revokeEnrollmentKeys('k3', '2026-01-02T00:00:00.000Z'))).toEqual(['k3']);
      expect((await storage.transaction((tx) => tx.revokeEnrollmentKeys('floor', '2026-01-03T00:00:00.000Z'))).sort()).toEqual(['k1', 'k2']);
      expect(await storage.transaction((tx) => tx.revokeEnrollmentKeys('annex', '2026-01-04T00:00:00.000Z'))).toEqual(['k3']);
      expect(await storage.transaction((tx) => tx.revokeEnrollmentKeys('nothing', at))).toEqual([]);
      // A revoked key is no longer expired by a rotation.
      expect(await storage.transaction((tx) => tx.expireEnrollmentKeys('floor', at))).toBe(0);

      await storage.transaction(async (tx) => {
        await tx.touchEnrollmentKey('k1', '2026-01-01T00:10:00.000Z');
        await tx.touchEnrollmentKey('k1', '2026-01-01T00:20:00.000Z');
        await tx.insertWorkstation({ ...ws('w1'), enrollmentKeyId: 'k1', machineId: 'ee'.repeat(32) });
        await tx.insertWorkstation({ ...ws('w2'), enrolledAt: '2026-01-01T00:20:00.000Z', enrollmentKeyId: 'k1', machineId: null });
        await tx.insertWorkstation(ws('w3'));
      });
      keys = await storage.transaction((tx) => tx.listEnrollmentKeys());
      expect(keys.find((k) => k.id === 'k1')).toMatchObject({ uses: 2, lastUsedAt: '2026-01-01T00:20:00.000Z', revokedAt: '2026-01-03T00:00:00.000Z' });
      expect(keys.find((k) => k.id === 'k3')).toMatchObject({ revokedAt: '2026-01-02T00:00:00.000Z', uses: 0 });
      expect((await storage.transaction((tx) => tx.workstationsEnrolledWith('k1'))).map((w) => w.id)).toEqual(['w1', 'w2']);
      expect(await storage.transaction((tx) => tx.workstationsEnrolledWith('k3'))).toEqual([]);
      expect(await storage.transaction((tx) => tx.getWorkstation('w1'))).toMatchObject({ enrollmentKeyId: 'k1', machineId: 'ee'.repeat(32) });
      expect(await storage.transaction((tx) => tx.getWorkstation('w3'))).toMatchObject({ enrollmentKeyId: null, machineId: null });
      // A workstation cannot name a key that does not exist.
      await expect(storage.transaction((tx) => tx.insertWorkstation({ ...ws('w4'), enrollmentKeyId: 'no-such-key' }))).rejects.toThrow();
    });

    it("lists live sessions oldest first and ends every session of a user", async () => {
      await storage.transaction(async (tx) => {
        await tx.insertUser(user('u1', 'ann'));
        await tx.insertUser(user('u2', 'ben'));
        await tx.insertWorkstation(ws('w1'));
        await tx.insertSession({ tokenHash: 's3', userId: 'u1', workstationId: 'w1', createdAt: '2026-01-01T00:03:00.000Z', expiresAt: '2026-01-03T00:00:00.000Z' });
        await tx.insertSession({ tokenHash: 's1', userId: 'u1', workstationId: 'w1', createdAt: '2026-01-01T00:01:00.000Z', expiresAt: '2026-01-03T00:00:00.000Z' });
        await tx.insertSession({ tokenHash: 's2', userId: 'u2', workstationId: 'w1', createdAt: '2026-01-01T00:02:00.000Z', expiresAt: '2026-01-03T00:00:00.000Z' });
        await tx.insertSession({ tokenHash: 's0', userId: 'u2', workstationId: 'w1', createdAt: at, expiresAt: '2026-01-01T12:00:00.000Z' });
      });
      const now = '2026-01-02T00:00:00.000Z';
      expect((await storage.transaction((tx) => tx.listSessions(now))).map((x) => x.tokenHash)).toEqual(['s1', 's2', 's3']);
      expect(await storage.transaction((tx) => tx.deleteSessionsOfUser('u1'))).toBe(2);
      expect(await storage.transaction((tx) => tx.deleteSessionsOfUser('u1'))).toBe(0);
      expect(await storage.transaction((tx) => tx.listSessions(now))).toEqual([
        { tokenHash: 's2', userId: 'u2', workstationId: 'w1', createdAt: '2026-01-01T00:02:00.000Z', expiresAt: '2026-01-03T00:00:00.000Z' },
      ]);
    });

    it("claims a row's author once: the first claim wins and a later one writes nothing", async () => {
      expect(await storage.transaction((tx) => tx.claimRowAuthor('case', 'c1', { authorId: 'u1', ownerId: 'u1' }))).toBe(true);
      expect(await storage.transaction((tx) => tx.claimRowAuthor('case', 'c1', { authorId: 'u2', ownerId: 'u2' }))).toBe(false);
      expect(await storage.transaction((tx) => tx.getRowAuthor('case', 'c1'))).toEqual({ authorId: 'u1', ownerId: 'u1' });
      // Concurrent claims of one new row: exactly one wins.
      const wins = await Promise.all(['a', 'b', 'c', 'd'].map((u) => storage.transaction((tx) => tx.claimRowAuthor('case', 'c2', { authorId: u, ownerId: u }))));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('claims many rows in one call: each new row once, the rows that had an author untouched', async () => {
      await storage.transaction((tx) => tx.claimRowAuthor('case_event', 'e2', { authorId: 'u9', ownerId: null }));
      // More than one statement's worth (the SQLite engine cuts batches at 256 rows), with awkward ids.
      const claims: RowClaim[] = Array.from({ length: 600 }, (_, i) => ({ entity: 'case_event', id: i === 7 ? 'e"\\7' : `e${i}`, author: { authorId: 'u1', ownerId: null } }));
      claims.push({ entity: 'case', id: 'e3', author: { authorId: 'u1', ownerId: 'u1' } }); // same id, another entity: a different row
      const won = await storage.transaction((tx) => tx.claimRowAuthors(claims));
      expect(won).toHaveLength(601);
      expect(won.filter((w) => !w)).toHaveLength(1);
      expect(won[2]).toBe(false);
      expect(await storage.transaction((tx) => tx.getRowAuthor('case_event', 'e2'))).toEqual({ authorId: 'u9', ownerId: null });
      expect(await storage.transaction((tx) => tx.getRowAuthor('case_event', 'e"\\7'))).toEqual({ authorId: 'u1', ownerId: null });
      expect(await storage.transaction((tx) => tx.claimRowAuthors([]))).toEqual([]);
      // A second round: every row has its author now.
      expect((await storage.transaction((tx) => tx.claimRowAuthors(claims.slice(0, 300)))).some(Boolean)).toBe(false);
    });

    it('reads and writes many row authors in one call: the author stays, the owner moves, the last write wins', async () => {
      await storage.transaction(async (tx) => {
        await tx.putRowAuthors([
          { entity: 'case', id: 'c1', author: { authorId: 'u1', ownerId: 'u1' } },
          { entity: 'case', id: 'c2', author: { authorId: 'u2', ownerId: null } },
          { entity: 'case', id: 'c1', author: { authorId: 'u5', ownerId: 'u3' } },
          { entity: 'person', id: 'c2', author: { authorId: 'u4', ownerId: null } },
        ]);
        await tx.putRowAuthors([]);
      });
      const read = await storage.transaction((tx) => tx.getRowAuthors('case', ['c1', 'c2', 'c-none', 'c1']));
      expect(Object.fromEntries(read)).toEqual({ c1: { authorId: 'u1', ownerId: 'u3' }, c2: { authorId: 'u2', ownerId: null } });
      expect(await storage.transaction((tx) => tx.getRowAuthors('case', []))).toEqual(new Map());
      expect(await storage.transaction((tx) => tx.getRowAuthor('person', 'c2'))).toEqual({ authorId: 'u4', ownerId: null });
    });

    it('appends many ops in one call, in the order given, as one append after another would', async () => {
      const awkward = { note: 'quote " backslash \\ brace } comma , nul-free ünïcode 🚑', n: [1, { a: null }] };
      const ops = Array.from({ length: 300 }, (_, i) => op('r1', i + 1, i % 2 ? 'case' : 'incident', `x${i}`, i === 5 ? awkward : { type: `t${i}` }));
      await storage.transaction(async (tx) => {
        await tx.appendChange(op('r0', 1, 'case', 'before', {}));
        await tx.appendChanges(ops);
        await tx.appendChanges([]);
      });
      const all = await storage.transaction((tx) => tx.readChanges(0, 1000, null));
      expect(all).toHaveLength(301);
      const read = all.slice(1).map(decodeChange);
      expect(read.map(({ cursor: _, ...o }) => o)).toEqual(ops);
      for (let i = 1; i < all.length; i++) expect(all[i][0]).toBeGreaterThan(all[i - 1][0]);
      expect(await storage.transaction((tx) => tx.getCursor())).toBe(all[300][0]);
      // Exactly-once still holds: one op already in the log fails the whole call.
      await expect(storage.transaction((tx) => tx.appendChanges([op('r1', 301, 'case', 'y', {}), op('r1', 3, 'case', 'z', {})]))).rejects.toThrow();
      expect(await storage.transaction((tx) => tx.getCursor())).toBe(all[300][0]);
    });

    it('prunes refused ops and refused EIDO documents: the newest N kept, none older than the cut-off', async () => {
      const day = (d: number) => `2026-01-${String(d).padStart(2, '0')}T00:00:00.000Z`;
      await storage.transaction(async (tx) => {
        for (let d = 1; d <= 6; d++) {
          await tx.insertRefused({ replica: 'r1', seq: d, workstationId: 'w1', userId: 'u1', reason: `r${d}`, op: null, refusedAt: day(d) });
          await tx.insertEidoRejection({ receivedAt: day(d), source: 'cli', cadKey: null, code: 'not_json', path: null, message: `m${d}`, bytes: 1, raw: Buffer.from('x'), truncated: false });
        }
      });
      // Keep at most 4, none before day 2: days 1 and 2 go (2 by count, 1 also by age).
      expect(await storage.transaction((tx) => tx.pruneRefused(4, day(2)))).toBe(2);
      expect((await storage.transaction((tx) => tx.listRefused(10))).map((r) => r.reason)).toEqual(['r6', 'r5', 'r4', 'r3']);
      // None before day 5: two more go although the count allows them.
      expect(await storage.transaction((tx) => tx.pruneRefused(10, day(5)))).toBe(2);
      expect((await storage.transaction((tx) => tx.listRefused(10))).map((r) => r.reason)).toEqual(['r6', 'r5']);
      expect(await storage.transaction((tx) => tx.pruneRefused(10, day(1)))).toBe(0);

      expect(await storage.transaction((tx) => tx.pruneEidoRejections(3, day(1)))).toBe(3);
      expect((await storage.transaction((tx) => tx.listEidoRejections(10))).map((r) => r.message)).toEqual(['m6', 'm5', 'm4']);
      expect(await storage.transaction((tx) => tx.pruneEidoRejections(0, day(1)))).toBe(3);
      expect(await storage.transaction((tx) => tx.listEidoRejections(10))).toEqual([]);
    });

    it('appends to the audit log chain by chain, moves each head, and reads it back by chain and by time', async () => {
      const entry = (source: string, seq: number, atTime: string, prevHash: string) => ({
        source,
        seq,
        at: atTime,
        actor: seq % 2 ? 'ann' : null,
        workstationId: source === 'server' ? null : source,
        action: 'signin',
        subject: null,
        detail: seq % 2 ? '{"reason":"ok"}' : null,
        ip: '127.0.0.1',
        prevHash,
        hash: `${source}-${seq}`.padEnd(64, '0'),
      });
      expect(await storage.transaction((tx) => tx.auditHead('server'))).toBeNull();
      const server = [1, 2, 3].map((n) => entry('server', n, `2026-01-01T00:0${n}:00.000Z`, n === 1 ? '0'.repeat(64) : `server-${n - 1}`.padEnd(64, '0')));
      const w1 = [1, 2].map((n) => entry('w1', n, `2026-01-01T00:0${n}:30.000Z`, n === 1 ? '0'.repeat(64) : 'w1-1'.padEnd(64, '0')));
      await storage.transaction(async (tx) => {
        for (const e of [server[0], w1[0], server[1], w1[1], server[2]]) await tx.appendAudit(e);
      });
      expect(await storage.transaction((tx) => tx.auditHead('server'))).toEqual({ seq: 3, hash: server[2].hash });
      expect(await storage.transaction((tx) => tx.auditHeads())).toEqual([
        { source: 'server', seq: 3, hash: server[2].hash },
        { source: 'w1', seq: 2, hash: w1[1].hash },
      ]);
      expect(await storage.transaction((tx) => tx.readAuditChain('server', 0, 10))).toEqual(server);
      expect(await storage.transaction((tx) => tx.readAuditChain('server', 1, 1))).toEqual([server[1]]);
      expect(await storage.transaction((tx) => tx.readAuditChain('nobody', 0, 10))).toEqual([]);

      const between = await storage.transaction((tx) => tx.readAuditBetween('2026-01-01T00:01:30.000Z', '2026-01-01T00:03:00.000Z', 0, 10));
      expect(between.map(({ id: _id, ...e }) => e)).toEqual([w1[0], server[1], w1[1]]);
      const next = await storage.transaction((tx) => tx.readAuditBetween('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', between[0].id, 2));
      expect(next.map((e) => `${e.source}-${e.seq}`)).toEqual(['server-2', 'w1-2']);

      // The audit screen's search: newest first, filtered, paged below an id.
      const tag = (rows: { source: string; seq: number }[]) => rows.map((e) => `${e.source}-${e.seq}`);
      expect(tag(await storage.transaction((tx) => tx.searchAudit({}, null, 10)))).toEqual(['server-3', 'w1-2', 'server-2', 'w1-1', 'server-1']);
      const top = await storage.transaction((tx) => tx.searchAudit({}, null, 2));
      expect(tag(await storage.transaction((tx) => tx.searchAudit({}, top[1].id, 2)))).toEqual(['server-2', 'w1-1']);
      expect(tag(await storage.transaction((tx) => tx.searchAudit({ actor: 'ann' }, null, 10)))).toEqual(['server-3', 'w1-1', 'server-1']);
      expect(tag(await storage.transaction((tx) => tx.searchAudit({ workstationId: 'w1', action: 'signin' }, null, 10)))).toEqual(['w1-2', 'w1-1']);
      expect(tag(await storage.transaction((tx) => tx.searchAudit({ from: '2026-01-01T00:01:30.000Z', to: '2026-01-01T00:03:00.000Z' }, null, 10)))).toEqual(['w1-2', 'server-2', 'w1-1']);
      expect(await storage.transaction((tx) => tx.searchAudit({ subject: 'nobody' }, null, 10))).toEqual([]);

      // The same place in a chain twice is refused, and the head does not move.
      await expect(storage.transaction((tx) => tx.appendAudit({ ...server[2], hash: 'f'.repeat(64) }))).rejects.toThrow();
      expect(await storage.transaction((tx) => tx.auditHead('server'))).toEqual({ seq: 3, hash: server[2].hash });
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
