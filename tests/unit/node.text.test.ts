import { describe, expect, it } from 'vitest';
import { textOf } from '../../src/node/text';

describe('WebSocket message text', () => {
  it('reads ASCII and UTF-8 alike, whatever shape ws hands over', () => {
    for (const s of ['{"name":"Ada"}', '{"name":"Zoë Ortiz","note":"über 👍 \u2028"}', '']) {
      const bytes = Buffer.from(s, 'utf8');
      expect(textOf(bytes)).toBe(s);
      expect(textOf([bytes.subarray(0, 5), bytes.subarray(5)])).toBe(s);
      expect(textOf(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))).toBe(s);
    }
  });
});
