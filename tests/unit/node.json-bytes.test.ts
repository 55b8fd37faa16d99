import { describe, expect, it } from 'vitest';
import { JsonBytes } from '../../src/node/json-bytes';

describe('JSON written as bytes', () => {
  it('holds exactly the UTF-8 of the pieces, through growth, whatever their characters', () => {
    const pieces = ['[', ...Array.from({ length: 500 }, (_, i) => `${i ? ',' : ''}${JSON.stringify({ i, name: i % 3 ? `Zoë Ortiz ${i}` : 'über 👍 \u2028', note: 'x'.repeat(i) })}`), ']'];
    const out = new JsonBytes(16);
    for (const p of pieces) out.text(p);
    const expected = Buffer.from(pieces.join(''), 'utf8');
    expect(out.bytes().equals(expected)).toBe(true);
    expect(JSON.parse(out.bytes().toString('utf8'))).toHaveLength(500);
  });

  it('is empty until written to', () => {
    expect(new JsonBytes().bytes().length).toBe(0);
  });
});
