// Types for scripts/test-report.mjs (plain JavaScript, run by node without a loader).
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  problems: string[];
}
export function emptyTally(): Tally;
export function addTallies(tallies: Tally[]): Tally;
export function closingLine(tally: Tally): string;
export function countCheck(name: string, exitStatus: number | null): Tally;
export function countNotStarted(name: string, reason: string): Tally;
export function countVitest(report: unknown, exitStatus: number | null, root?: string): Tally;
export function countPlaywright(report: unknown, exitStatus: number | null): Tally;
