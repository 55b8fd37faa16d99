/**
 * Pure formatting helpers for the console. No DOM, no React: unit-tested in
 * tests/unit/renderer.format.test.ts.
 */

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Milliseconds as a running timer: `mm:ss`, or `h:mm:ss` past an hour. Never negative. */
export function formatElapsed(ms: number): string {
  const total = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${pad2(m)}:${pad2(s)}`;
}

/** Whole seconds between an ISO time and `now`, never negative; 0 when the time is missing or invalid. */
export function secondsSince(iso: string | null | undefined, now: number): number {
  return Math.floor(msSince(iso, now) / 1000);
}

export function msSince(iso: string | null | undefined, now: number): number {
  if (!iso) return 0;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 0;
  return Math.max(0, now - t);
}

/** Local wall-clock time `hh:mm` (24 h), as a dispatcher reads it off the CAD clock. Empty when invalid. */
export function formatClock(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** `1 change`, `3 changes`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `Welfare check` → first line, trimmed to `max` characters with an ellipsis. */
export function clip(text: string | null | undefined, max: number): string {
  const s = (text ?? '').trim();
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}
