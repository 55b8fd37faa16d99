import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { sendText, textOf } from '../../src/node/text';

describe('WebSocket message text', () => {
  it('reads ASCII and UTF-8 alike, whatever shape ws hands over', () => {
    for (const s of ['{"name":"Ada"}', '{"name":"Zoë Ortiz","note":"über 👍 \u2028"}', '']) {
      const bytes = Buffer.from(s, 'utf8');
      expect(textOf(bytes)).toBe(s);
      expect(textOf([bytes.subarray(0, 5), bytes.subarray(5)])).toBe(s);
      expect(textOf(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))).toBe(s);
    }
  });

  it('sends pieces as one text message, between whole messages, both ways', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    await new Promise((resolve) => client.once('open', resolve));
    const server = await serverSide;
    const received = (ws: WebSocket, n: number) =>
      new Promise<{ text: string; isBinary: boolean }[]>((resolve) => {
        const got: { text: string; isBinary: boolean }[] = [];
        ws.on('message', (data, isBinary) => {
          got.push({ text: textOf(data as Buffer), isBinary });
          if (got.length === n) resolve(got);
        });
      });
    const big = JSON.stringify({ ops: Array.from({ length: 2000 }, (_, i) => ({ i, note: `Zoë ${i}` })) });
    const pieces = [Buffer.from('{"t":"res","r":'), Buffer.from(big), Buffer.from('}')];
    for (const [from, to] of [
      [server, client],
      [client, server],
    ] as const) {
      const got = received(to, 3);
      from.send('{"before":1}');
      let sent = false;
      sendText(from, pieces, (err) => (sent = !err));
      from.send('{"after":1}');
      expect(await got).toEqual([
        { text: '{"before":1}', isBinary: false },
        { text: `{"t":"res","r":${big}}`, isBinary: false },
        { text: '{"after":1}', isBinary: false },
      ]);
      expect(sent).toBe(true);
    }
    client.close();
    await new Promise((resolve) => wss.close(resolve));
  });
});
