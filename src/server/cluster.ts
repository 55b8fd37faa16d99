import type { Logger } from 'pino';
import type { PeerBus } from './storage/types';

/**
 * What the server instances on one database tell each other that is not data (issue 17): who
 * may answer a live handoff on each instance, and that a handoff is ringing. Over the storage's
 * peer bus (PostgreSQL NOTIFY), best effort: every instance says its answerers every heartbeat,
 * so a message lost (a LISTEN connection cut) is made good within one heartbeat, and an
 * instance that stops saying it (killed, cut off from the database) drops out after
 * `staleAfterMs`: the same rule, and the same time, as a console that stops answering pings.
 */
export interface Answerer {
  id: string;
  name: string;
}

export interface ClusterOptions {
  bus: PeerBus;
  /** This instance's answerers now (consoles connected here, heard from, attended). */
  local: () => Answerer[];
  /** The answerers on other instances changed (someone came, left, or an instance went quiet). */
  changed: () => void;
  /** Another instance says a live handoff is ringing. */
  ringing: (handoffId: string) => void;
  /**
   * The link to the other instances is back (or new): their messages sent meanwhile are lost,
   * so whatever rings now is rung here again.
   */
  relinked?: () => void;
  heartbeatMs: number;
  staleAfterMs: number;
  logger: Logger;
  now?: () => number;
}

type PeerMessage =
  | { t: 'answerers'; beat: number; part: number; parts: number; users: Answerer[] }
  | { t: 'who' }
  | { t: 'bye' }
  | { t: 'ring'; id: string };

interface Remote {
  heardAt: number;
  users: Answerer[];
  /** A beat's parts as they arrive (a long list does not fit one NOTIFY). */
  pending: { beat: number; parts: Answerer[][]; got: number } | null;
}

const MAX_ID = 200;
/** A ring the database refused (a pooled connection cut) is tried again within the dispatcher's 2 s. */
const RING_RETRIES = 3;
const RETRY_AFTER_MS = 150;

export class ClusterPresence {
  private readonly remotes = new Map<string, Remote>();
  private readonly now: () => number;
  private beat = 0;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private warned = false;
  /** Ticks come every half heartbeat; every other one announces. */
  private half = false;

  constructor(private readonly o: ClusterOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  start(): void {
    this.unsubscribe = this.o.bus.subscribe({
      message: (from, body) => this.received(from, body),
      // Listening (again): ask the others for their answerers now rather than at their next beat.
      connected: () => {
        this.send({ t: 'who' });
        this.announce();
        this.o.relinked?.();
      },
    });
    this.timer = setInterval(() => this.tick(), Math.max(100, Math.floor(this.o.heartbeatMs / 2)));
    this.timer.unref();
    this.announce();
  }

  /** Says goodbye (the others drop this instance's answerers at once) and stops. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.o.bus.publish(JSON.stringify({ t: 'bye' })).catch(() => undefined);
  }

  /** Every answerer on the other instances that has been heard from within `staleAfterMs`. */
  remoteAnswerers(): Answerer[] {
    const at = this.now();
    const out: Answerer[] = [];
    for (const r of this.remotes.values()) if (at - r.heardAt <= this.o.staleAfterMs) out.push(...r.users);
    return out;
  }

  /** Tells the other instances that a live handoff is ringing, so that their clinicians' consoles ring too. */
  ring(handoffId: string): void {
    this.send({ t: 'ring', id: handoffId }, RING_RETRIES);
  }

  /** This instance's answerers changed: say so now rather than at the next beat. */
  localChanged(): void {
    this.announce();
  }

  private tick(): void {
    if (this.stopped) return;
    // Announce every heartbeat; look for instances gone quiet every half heartbeat.
    this.half = !this.half;
    if (!this.half) this.announce();
    const at = this.now();
    let dropped = false;
    for (const [id, r] of this.remotes) {
      if (at - r.heardAt > this.o.staleAfterMs) {
        this.remotes.delete(id);
        if (r.users.length) {
          dropped = true;
          this.o.logger.warn({ instance: id, answerers: r.users.length }, 'another server instance went quiet; its consoles no longer count as answerers');
        }
      }
    }
    if (dropped) this.o.changed();
  }

  private announce(): void {
    if (this.stopped) return;
    const users = this.o.local().map((u) => ({ id: u.id.slice(0, MAX_ID), name: u.name.slice(0, MAX_ID) }));
    const beat = ++this.beat;
    // Split so that each part fits one message (a NOTIFY payload is under 8,000 bytes).
    const parts: Answerer[][] = [[]];
    let size = 100;
    for (const u of users) {
      const bytes = Buffer.byteLength(JSON.stringify(u)) + 1;
      if (size + bytes > this.o.bus.maxBytes && parts[parts.length - 1].length) {
        parts.push([]);
        size = 100;
      }
      parts[parts.length - 1].push(u);
      size += bytes;
    }
    parts.forEach((p, part) => this.send({ t: 'answerers', beat, part, parts: parts.length, users: p }));
  }

  /** Best effort; a ring is tried again (`retries` times, shortly after) when the database refuses it. */
  private send(msg: PeerMessage, retries = 0): void {
    if (this.stopped) return;
    this.o.bus.publish(JSON.stringify(msg)).then(
      () => {
        this.warned = false;
      },
      (err) => {
        if (retries > 0) {
          setTimeout(() => this.send(msg, retries - 1), RETRY_AFTER_MS).unref();
          return;
        }
        // The database is away: the others will drop this instance's answerers, as they should.
        if (!this.warned) this.o.logger.warn({ err }, 'could not tell the other server instances');
        this.warned = true;
      },
    );
  }

  private received(from: string, body: string): void {
    if (this.stopped) return;
    let msg: PeerMessage;
    try {
      msg = JSON.parse(body) as PeerMessage;
    } catch {
      return;
    }
    if (msg.t === 'who') return this.announce();
    if (msg.t === 'ring') {
      if (typeof msg.id === 'string' && msg.id.length <= MAX_ID) this.o.ringing(msg.id);
      return;
    }
    if (msg.t === 'bye') {
      const r = this.remotes.get(from);
      this.remotes.delete(from);
      if (r?.users.length) this.o.changed();
      return;
    }
    if (msg.t !== 'answerers' || !Array.isArray(msg.users) || !(msg.parts >= 1) || !(msg.part >= 0 && msg.part < msg.parts)) return;
    let r = this.remotes.get(from);
    if (!r) {
      r = { heardAt: this.now(), users: [], pending: null };
      this.remotes.set(from, r);
    }
    r.heardAt = this.now();
    if (!r.pending || r.pending.beat !== msg.beat) r.pending = { beat: msg.beat, parts: new Array<Answerer[]>(msg.parts), got: 0 };
    if (!r.pending.parts[msg.part]) {
      r.pending.parts[msg.part] = msg.users.filter((u) => typeof u?.id === 'string' && typeof u?.name === 'string');
      r.pending.got++;
    }
    if (r.pending.got < msg.parts) return;
    const users = r.pending.parts.flat();
    r.pending = null;
    const key = (list: Answerer[]) => list.map((u) => `${u.id}\n${u.name}`).sort().join('\n');
    const before = key(r.users);
    r.users = users;
    if (key(users) !== before) this.o.changed();
  }
}
