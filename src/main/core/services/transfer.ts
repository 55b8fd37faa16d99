import { RpcError, type CrisisTransfer } from '../../../shared/contract';

/** What a crisis-line transfer event holds on a case's timeline (shared/report/rows.ts counts it). */
export interface TransferBody {
  line: '988' | 'other';
  lineName: string;
  transferredAt: string;
}

export const LINE_988 = '988 Suicide & Crisis Lifeline';

/**
 * A transfer to 988 or another crisis line, checked: the receiving line named (988 names
 * itself), the time not in the future and not more than a day ago (the program figures find
 * it near the time it was logged). Logged from a case, or with the conference it happened in.
 */
export function transferBody(input: CrisisTransfer, now: Date): TransferBody {
  const lineName = input.line === '988' ? LINE_988 : input.lineName?.trim();
  if (!lineName) throw new RpcError('bad_request', 'Name the crisis line the person was transferred to');
  const when = input.at === undefined ? now : new Date(input.at);
  if (Number.isNaN(when.getTime())) throw new RpcError('bad_request', `Not a date and time: ${input.at}`);
  const ago = now.getTime() - when.getTime();
  if (ago < -5 * 60_000) throw new RpcError('bad_request', 'A transfer cannot be logged in the future');
  if (ago > 24 * 3_600_000) throw new RpcError('bad_request', 'Log a transfer within 24 hours of making it');
  return { line: input.line, lineName, transferredAt: when.toISOString() };
}
