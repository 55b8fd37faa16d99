import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan } from '../../src/shared/json-depth';

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[2]}]}', 3)).toBe(true);
    expect(jsonNestsDeeperThan(JSON.stringify({ s: '[[[[[[[[{{{{{{' }), 1)).toBe(false);
    expect(jsonNestsDeeperThan(JSON.stringify({ s: 'a \\" [[[[ \\\\' }), 1)).toBe(false);
    expect(jsonNestsDeeperThan('[]'.repeat(1000), 1)).toBe(false);
  });

  it('reads a million levels without overflowing itself, and stops at the limit exactly', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect(jsonNestsDeeperThan(deep, 64)).toBe(true);
    expect(jsonNestsDeeperThan('['.repeat(64) + ']'.repeat(64), 64)).toBe(false);
    expect(jsonNestsDeeperThan('['.repeat(65) + ']'.repeat(65), 64)).toBe(true);
  });
});
