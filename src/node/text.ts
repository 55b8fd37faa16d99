import { isAscii } from 'node:buffer';

/**
 * A WebSocket text message (ws hands it over as one Buffer, fragments or an ArrayBuffer) as a
 * string. Sync traffic is nearly all ASCII, and ASCII read as Latin-1 is the same string for a
 * plain copy: measured on 1 MB pull pages, 2.5 ms instead of 4.5 ms for the UTF-8 decoder, on
 * every page a first sync moves in and out.
 */
export function textOf(data: Buffer | ArrayBuffer | Buffer[]): string {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}
