import { describe, expect, it } from 'vitest';
import { diagnosticsReport, maskSecrets } from '../../src/main/electron/diagnostics';

describe('save diagnostics', () => {
  it('carries versions, the policy as read and the log, with every secret masked', () => {
    const report = diagnosticsReport({
      now: new Date('2026-12-02T11:00:00Z'),
      versions: { tandem: '0.1.0', electron: '38.8.6', node: '22.19.0' },
      platform: 'linux x64',
      policy: { state: 'configured', sources: ['/etc/tandem/policy.json'], policy: { serverUrl: 'https://sync.ecc.example', enrollmentKey: 'tnd-site-SECRETKEY123', lockAfterMinutes: 10, allowDevTools: false, offlineSignInDays: 14 } },
      logFile: '/var/log/tandem/tandem-dana.log',
      log: [
        '[info] Machine policy from /etc/tandem/policy.json: server https://sync.ecc.example',
        '[error] enroll failed with key tnd-site-LEAKED456 and token tnd-enr-abcDEF',
        '[warn] header authorization: Bearer eyJhbGciOi.payload.sig',
        '[warn] retry {"password":"hunter22","secret":"s3cr3t"}',
      ].join('\n'),
    });
    expect(report).toContain('tandem: 0.1.0');
    expect(report).toContain('electron: 38.8.6');
    expect(report).toContain('"serverUrl": "https://sync.ecc.example"');
    expect(report).toContain('/var/log/tandem/tandem-dana.log');
    expect(report).toContain('server https://sync.ecc.example');
    for (const secret of ['SECRETKEY123', 'LEAKED456', 'abcDEF', 'eyJhbGciOi', 'hunter22', 's3cr3t']) expect(report, secret).not.toContain(secret);
    expect(report).toMatch(/"enrollmentKey": "?\[masked\]/);
  });

  it('masks without eating the text around a secret', () => {
    expect(maskSecrets('key tnd-site-abc, then more')).toBe('key [masked], then more');
    expect(maskSecrets('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [masked]');
    expect(maskSecrets('nothing secret here')).toBe('nothing secret here');
  });

  it('a policy that is not configured is reported as read', () => {
    const report = diagnosticsReport({ now: new Date(0), versions: {}, platform: 'win32', policy: { state: 'invalid', sources: ['C:\\ProgramData\\Tandem\\policy.json'], problems: ['serverUrl: required'] }, logFile: 'x', log: '' });
    expect(report).toContain('serverUrl: required');
    expect(report).toContain('## Versions');
  });
});
