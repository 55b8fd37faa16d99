import fs from 'node:fs';
import { z } from 'zod';

/** The console docks beside the CAD screens; it reopens on the same display, at the same place. */
export const WindowState = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(360).max(4000),
  height: z.number().int().min(480).max(4000),
  displayId: z.number().optional(),
});
export type WindowState = z.infer<typeof WindowState>;

export const DEFAULT_BOUNDS = { width: 480, height: 900 };

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function loadWindowState(file: string): WindowState | null {
  try {
    return WindowState.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    return null;
  }
}

export function saveWindowState(file: string, state: WindowState): void {
  fs.writeFileSync(file, JSON.stringify(state));
}

/** Keeps saved bounds only if they are still mostly on a connected display (monitors get unplugged). */
export function visibleBounds(saved: WindowState | null, displays: Rect[]): Partial<Rect> {
  if (!saved) return DEFAULT_BOUNDS;
  const onScreen = displays.some((d) => {
    const w = Math.min(saved.x + saved.width, d.x + d.width) - Math.max(saved.x, d.x);
    const h = Math.min(saved.y + saved.height, d.y + d.height) - Math.max(saved.y, d.y);
    return w > 0 && h > 0 && w * h >= 0.5 * saved.width * saved.height;
  });
  return onScreen ? { x: saved.x, y: saved.y, width: saved.width, height: saved.height } : { width: saved.width, height: saved.height };
}
