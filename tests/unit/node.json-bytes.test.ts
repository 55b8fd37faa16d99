import { describe, expect, it } from 'vitest';
import { JsonBytes } from '../../src/node/json-bytes';

describe('JSON written as bytes', () => {
  const pieces = ['[', ...Array.from({ length: 500 }, (_, i) => `${i ? ',' : ''}${JSON.stringify({ i, name: i % 3 ? `Zoë Ortiz ${i}` : 'über 👍 \u2028', note: 'x'.repeat(i) })}`), ']'];

  it('holds exactly the UTF-8 of the pieces, through growth, whatever their characters', () => {
    const out = new JsonBytes(16);
    for (const p of pieces) out.text(p);
    expect(out.bytes().equals(Buffer.from(pieces.join(''), 'utf8'))).toBe(true);
    expect(JSON.parse(out.bytes().toString('utf8'))).toHaveLength(500);
  });

  it('wraps what is written in an envelope, short or long', () => {
    for (const head of ['{"t":"res","id":7,"ok":true,"r":', `{"note":"${'ü'.repeat(100)}","r":`]) {
      const out = new JsonBytes(16);
      for (const p of pieces) out.text(p);
      out.prepend(head).text('}');
      expect(out.bytes().toString('utf8')).toBe(`${head}${pieces.join('')}}`);
      expect(out.prepend('[').text(']').bytes().toString('utf8')).toBe(`[${head}${pieces.join('')}}]`);
    }
  });

  it('writes an array of items in one go, sized to the byte, inside an envelope', () => {
    const items = pieces.slice(1, -1).map((p) => p.replace(/^,/, ''));
    const out = new JsonBytes(0).array(items).prepend('{"ops":').text('}');
    expect(JSON.parse(out.bytes().toString('utf8'))).toEqual({ ops: items.map((i) => JSON.parse(i)) });
    expect(new JsonBytes().array([]).bytes().toString()).toBe('[]');
  });

  it('is empty until written to', () => {
    expect(new JsonBytes().bytes().length).toBe(0);
    expect(new JsonBytes(0).prepend('{"a":').text('1}').bytes().toString()).toBe('{"a":1}');
  });
});
