import type { PolicyResult } from './machine-policy';

/**
 * "Save diagnostics": what IT needs to see why a console misbehaves (versions, the policy as
 * read, where it came from, the workstation log), without secrets or clinical data. The log
 * holds operational messages only; enrollment secrets, session tokens and passwords are
 * masked wherever they appear, in the policy and in the log alike.
 */
const SECRET_PATTERNS: RegExp[] = [
  /tnd-(?:site|enr)-[A-Za-z0-9_-]+/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi,
  /("?(?:password|secret|enrollmentKey|enrollmentToken|token)"?\s*[:=]\s*)("[^"]*"|\S+)/gi,
];

export function maskSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((t, re) => t.replace(re, (_m, lead?: string) => (typeof lead === 'string' && lead.length > 0 && !lead.startsWith('tnd-') ? `${lead}[masked]` : '[masked]')), text);
}

export interface DiagnosticsInput {
  now: Date;
  versions: Record<string, string | undefined>;
  platform: string;
  policy: PolicyResult;
  logFile: string;
  /** The log's text (the tail of it). */
  log: string;
}

export function diagnosticsReport(d: DiagnosticsInput): string {
  const policy =
    d.policy.state === 'configured'
      ? {
          state: d.policy.state,
          sources: d.policy.sources,
          policy: { ...d.policy.policy, ...(d.policy.policy.enrollmentKey ? { enrollmentKey: '[masked]' } : {}), ...(d.policy.policy.enrollmentToken ? { enrollmentToken: '[masked]' } : {}) },
        }
      : d.policy;
  const lines = [
    `Tandem diagnostics, ${d.now.toISOString()}`,
    '',
    '## Versions',
    ...Object.entries(d.versions).map(([k, v]) => `${k}: ${v ?? 'unknown'}`),
    `platform: ${d.platform}`,
    '',
    '## Machine policy (as read)',
    maskSecrets(JSON.stringify(policy, null, 2)),
    '',
    `## Log (${d.logFile})`,
    maskSecrets(d.log),
  ];
  return lines.join('\n') + '\n';
}
