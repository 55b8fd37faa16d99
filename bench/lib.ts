import os from 'node:os';

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function machine(): string {
  return `${os.cpus().length}x ${os.cpus()[0]?.model.trim()} ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits));
