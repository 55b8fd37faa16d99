import os from 'node:os';
import fs from 'node:fs';

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function machine(): string {
  return `${os.cpus().length}x ${os.cpus()[0]?.model.trim()} ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux; null elsewhere).
 * On a shared two-core machine wall time swings from run to run; where each process spent
 * its CPU says which one to look at.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are the 14th and 15th fields of the line, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** This process's child processes (Linux; empty elsewhere). */
export function childPids(): number[] {
  try {
    return fs
      .readdirSync('/proc/self/task')
      .flatMap((tid) => fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU used by named processes from now until `stop()`, and, with `timeline`, each one's share
 * (% of one core) every 250 ms in between.
 */
export function watchCpu(processes: Record<string, number>, timeline = false) {
  const names = Object.keys(processes);
  const at = () => Object.fromEntries(names.map((n) => [n, cpuSeconds(processes[n]) ?? NaN]));
  const t0 = performance.now();
  const first = at();
  const lines: string[] = [];
  let last = first;
  let lastAt = t0;
  const sampler = timeline
    ? setInterval(() => {
        const now = at();
        const when = performance.now();
        const s = (when - lastAt) / 1000;
        lines.push(`${((when - t0) / 1000).toFixed(2).padStart(5)} ${names.map((n) => String(Math.round(((now[n] - last[n]) * 100) / s)).padStart(4)).join(' ')}`);
        last = now;
        lastAt = when;
      }, 250)
    : null;
  return {
    stop() {
      if (sampler) clearInterval(sampler);
      const end = at();
      return {
        used: names.map((n) => `${n} ${round(end[n] - first[n])} s`).join(', '),
        timeline: sampler ? `CPU % per 250 ms (${names.join(', ')}):\n${lines.join('\n')}` : null,
      };
    },
  };
}
