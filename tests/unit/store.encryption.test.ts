import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, rotateKey, StoreError } from '../../src/main/core/store/open';
import { ReplicaStore } from '../../src/main/core/store/replica';
import { tempDir, randomKey, sha256File } from '../helpers/tmp';

let cleanup = () => {};
afterEach(() => cleanup());

const NAME = 'Zebediah Quartermaine';

function storeWithPerson() {
  const t = tempDir();
  cleanup = t.cleanup;
  const file = path.join(t.dir, 'tandem.db');
  const key = randomKey();
  const db = openStore(file, { key });
  const store = new ReplicaStore(db);
  store.write('person', 'p1', { name: NAME, phones: ['617-555-0100'], createdAt: new Date().toISOString() });
  return { file, key, db, dir: t.dir };
}

function plainBytesContain(dir: string, needle: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => fs.readFileSync(path.join(dir, f)).includes(Buffer.from(needle)))
    .map((f) => f);
}

describe('case store encryption', () => {
  it('keeps no stored name in plain bytes, in the database or its WAL', () => {
    const { dir, db } = storeWithPerson();
    // While open the change sits in the WAL; both files must be ciphertext.
    expect(plainBytesContain(dir, NAME)).toEqual([]);
    expect(plainBytesContain(dir, '617-555-0100')).toEqual([]);
    db.close();
    expect(plainBytesContain(dir, NAME)).toEqual([]);
  });

  it('refuses the wrong key with a clear message and leaves the file untouched', () => {
    const { file, db } = storeWithPerson();
    db.close();
    const before = sha256File(file);
    let error: unknown;
    try {
      openStore(file, { key: randomKey() });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('wrong_key');
    expect((error as Error).message).toMatch(/key does not match.*file was not changed/);
    expect(sha256File(file)).toBe(before);
  });

  it('rotates the key and keeps the data; the old key no longer opens it', () => {
    const { file, key, db } = storeWithPerson();
    const newKey = randomKey();
    rotateKey(db, newKey);
    db.close();
    expect(() => openStore(file, { key })).toThrow(StoreError);
    const reopened = openStore(file, { key: newKey });
    expect(new ReplicaStore(reopened).read<{ name: string }>('person', 'p1')?.name).toBe(NAME);
    expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal');
    reopened.close();
  });

  it('refuses a key that is not 32 bytes', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    expect(() => openStore(path.join(t.dir, 'x.db'), { key: Buffer.alloc(16) })).toThrow(/32 bytes, got 16/);
  });
});
