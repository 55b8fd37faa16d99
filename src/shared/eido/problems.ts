/**
 * The problems of one document, collected as it is read. Readers never stop at the first
 * problem: a fatal one marks the document as refused and reading carries on where it safely
 * can, so the refusal names every problem at once.
 */
import { EidoError, type EidoErrorCode, type EidoProblem, type EidoWarning } from './errors';

export type ProblemDetail = Pick<EidoProblem, 'expected' | 'found' | 'suggestion'>;

export class ProblemLog {
  private readonly list: EidoProblem[] = [];

  /** Something that leaves nothing safe to show: the document will be refused. */
  fatal(code: EidoErrorCode, path: string, message: string, detail: ProblemDetail = {}): void {
    this.list.push({ path, code, message, fatal: true, ...defined(detail) });
  }

  /** Something Tandem repaired; `repair` says how, in words a CAD engineer understands. */
  repaired(code: EidoErrorCode, path: string, message: string, repair: string, detail: ProblemDetail = {}): void {
    this.list.push({ path, code, message, fatal: false, repair, ...defined(detail) });
  }

  /** Keeps an EidoError thrown by a reader (XML, JSON bounds) as a fatal problem. */
  fatalError(err: EidoError): void {
    for (const p of err.problems) this.list.push({ ...p, fatal: true });
  }

  get hasFatal(): boolean {
    return this.list.some((p) => p.fatal);
  }

  get warnings(): EidoWarning[] {
    return this.list.filter((p): p is EidoWarning => !p.fatal);
  }

  /** Every problem, fatal ones first, each group in the order found. */
  get all(): EidoProblem[] {
    return [...this.list.filter((p) => p.fatal), ...this.list.filter((p) => !p.fatal)];
  }

  /** The refusal: named after the first fatal problem (or, in strict mode, the first repair). */
  toError(strict = false): EidoError {
    const all = this.all;
    const first = all[0] ?? { code: 'invalid' as const, path: '', message: 'document could not be read' };
    const others = all.length - 1;
    const suffix = [
      strict && !first.fatal ? 'refused in strict mode' : '',
      others > 0 ? `and ${others} more problem${others === 1 ? '' : 's'}` : '',
    ].filter(Boolean).join('; ');
    return new EidoError(first.code, suffix ? `${first.message} (${suffix})` : first.message, first.path || undefined, all);
  }
}

function defined(detail: ProblemDetail): ProblemDetail {
  const out: ProblemDetail = {};
  if (detail.expected) out.expected = detail.expected;
  if (detail.found) out.found = detail.found;
  if (detail.suggestion) out.suggestion = detail.suggestion;
  return out;
}
