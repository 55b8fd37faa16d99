import { describe, expect, it } from 'vitest';
import { runChaos } from '../helpers/chaos-run';

/**
 * bench:chaos, small (issue 17): handoffs and pushes from 5 simulated consoles over two
 * instances on one PostgreSQL database while instances are killed and restarted and links cut.
 */
describe('chaos over two instances (small)', () => {
  it('every handoff rings or is reported failed within 2 s; every acknowledged op is on every console once', { timeout: 400_000 }, async () => {
    const lines: string[] = [];
    const r = await runChaos({ handoffs: 40, consoles: 5, chaosEveryMs: [800, 1600], log: (l) => lines.push(l) });
    const said = `${JSON.stringify(r)}\n${lines.join('\n')}`;
    expect(r.silent, said).toBe(0);
    expect(r.rang + r.reportedFailed, said).toBe(40);
    expect(r.rang, said).toBeGreaterThan(0);
    expect(r.kills + r.cuts, said).toBeGreaterThan(0);
    expect(r.ops, said).toBeGreaterThan(0);
    expect(r.refused, said).toBe(0);
    expect(r.lost, said).toBe(0);
    expect(r.duplicated, said).toBe(0);
    expect(r.consolesWrong, said).toBe(0);
  });
});
