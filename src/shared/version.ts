/**
 * The version exchange between consoles and their sync server. Each side sends its release
 * and its wire protocol number, and names the oldest protocol of the other it still speaks;
 * a console too old or too new for its server says so instead of failing strangely.
 * Upgrade order: the server first (a server keeps speaking to consoles one protocol back).
 */
export const TANDEM_VERSION = '0.1.0';
/** The wire protocol this build speaks. */
export const PROTOCOL = 1;
/** The oldest console protocol this server accepts. */
export const MIN_CONSOLE_PROTOCOL = 1;
/** The oldest server protocol this console works with. */
export const MIN_SERVER_PROTOCOL = 1;

export const HEADER_VERSION = 'x-tandem-version';
export const HEADER_PROTOCOL = 'x-tandem-protocol';

export interface Peer {
  version: string;
  protocol: number;
}

/** The server's verdict on a console, or null when it may connect. */
export function consoleRefusal(console: Peer, server: Peer, minConsole: number): string | null {
  if (console.protocol < minConsole) {
    return `This console (Tandem ${console.version}, protocol ${console.protocol}) is too old for the sync server (Tandem ${server.version}, which needs protocol ${minConsole} or later): IT must upgrade this console`;
  }
  return null;
}

/** The console's verdict on its server, or null when it may use it. */
export function serverRefusal(server: Peer | null, console: Peer, minServer: number): string | null {
  if (server === null || server.protocol < minServer) {
    const what = server ? `Tandem ${server.version}, protocol ${server.protocol}` : 'a version before the version exchange';
    return `The sync server (${what}) is too old for this console (Tandem ${console.version}, which needs server protocol ${minServer} or later): IT must upgrade the server first`;
  }
  return null;
}

/** Reads the peer headers (any case); null when absent or malformed. */
export function peerFromHeaders(get: (name: string) => string | undefined | null): Peer | null {
  const version = get(HEADER_VERSION);
  const protocol = Number(get(HEADER_PROTOCOL));
  return version && Number.isInteger(protocol) && protocol > 0 ? { version, protocol } : null;
}
