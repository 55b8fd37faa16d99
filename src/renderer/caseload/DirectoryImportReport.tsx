import type { DirectoryImportProgress, DirectoryImportReport as Report, DirectoryImportSummary } from '../../shared/contract';
import { progressFraction, progressText } from './state/directory-import';

type TableSummary = DirectoryImportSummary['tables'][number];
type Reasons = TableSummary['rejections'];

/** A table name that may wrap after its underscores in a narrow window. */
function breakable(name: string) {
  return name.split('_').map((part, i, all) => (
    <span key={i}>
      {part}
      {i < all.length - 1 && (
        <>
          _<wbr />
        </>
      )}
    </span>
  ));
}

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

/** The import under way: its stage, a bar, and the step it is on. */
export function ImportProgress({ progress }: { progress: DirectoryImportProgress | null }) {
  const fraction = progressFraction(progress);
  return (
    <div className="import-progress" role="status" aria-live="polite">
      <progress max={1} value={fraction} aria-label="Directory import progress" />
      <span>{progressText(progress)}</span>
    </div>
  );
}

function ReasonList({ kind, file, reasons }: { kind: 'rejected' | 'repaired' | 'ignored'; file: string; reasons: Reasons }) {
  return reasons.map((r) => (
    <li key={`${kind}:${r.reason}`} className={kind === 'rejected' ? 'tone-warn' : undefined}>
      <span className="import-kind">{kind}</span> {plural(r.count, 'row')}: {r.reason}
      {r.lines.length > 0 && (
        <span className="muted">
          {' '}
          ({file} line{r.lines.length > 1 ? 's' : ''} {r.lines.join(', ')}
          {r.count > r.lines.length ? ', …' : ''})
        </span>
      )}
    </li>
  ));
}

/**
 * What an HSDS import did, as a clinician or the ECC's IT reads it: how many services came
 * in and with what a clinician needs (phone, address, hours), per table the rows read,
 * imported, repaired, rejected and ignored with the reasons counted, the files not read,
 * and where the full problem list is.
 */
export function DirectoryImportReport({ report, onDismiss }: { report: Report; onDismiss?: () => void }) {
  const s = report.summary;
  const seconds = Math.max(0.1, Math.round(report.ms / 100) / 10);
  const problems = s.tables.filter((t) => t.rejections.length + t.repairs.length + t.ignoredBecause.length > 0);
  return (
    <section className="import-report" aria-label="Directory import report" ref={(el) => el?.scrollIntoView({ block: 'nearest' })}>
      <p role="status">
        <strong>{plural(report.services, 'service')} imported</strong> from {report.dir} ({s.layout}) in {seconds} s: {n(report.added)} added, {n(report.updated)} updated,{' '}
        {n(report.unchanged)} unchanged
        {report.notInPackage > 0 ? `; ${plural(report.notInPackage, 'service')} already in the directory not in this package (kept)` : ''}.
      </p>
      <ul className="import-facts" aria-label="What the imported services have">
        <li>{plural(s.services.withPhone, 'service')} with a phone</li>
        <li>{plural(s.services.withAddress, 'service')} with an address</li>
        <li>{plural(s.services.withHours, 'service')} with opening hours</li>
        {report.hoursUnknown > 0 && (
          <li className="tone-warn">
            {plural(report.hoursUnknown, 'service')} with hours unknown: shown as "Hours unknown", never as open now
          </li>
        )}
        {s.services.organizationUnknown > 0 && <li className="tone-warn">{plural(s.services.organizationUnknown, 'service')} with the organization unknown</li>}
      </ul>
      <div className="import-tables-wrap">
      <table className="import-tables">
        <caption>Rows per table</caption>
        <thead>
          <tr>
            <th scope="col">Table</th>
            <th scope="col">Read</th>
            <th scope="col">Imported</th>
            <th scope="col">Repaired</th>
            <th scope="col">Rejected</th>
            <th scope="col">Ignored</th>
          </tr>
        </thead>
        <tbody>
          {s.tables.map((t) => (
            <tr key={t.table} data-table={t.table}>
              <th scope="row" title={t.file}>
                {breakable(t.table)}
              </th>
              <td>{n(t.read)}</td>
              <td>{n(t.imported)}</td>
              <td>{t.repaired ? n(t.repaired) : ''}</td>
              <td className={t.rejected ? 'tone-warn' : undefined}>{t.rejected ? n(t.rejected) : ''}</td>
              <td>{t.ignored ? n(t.ignored) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {problems.length > 0 && (
        <ul className="import-problems" aria-label="Why rows were rejected, repaired or ignored">
          {problems.map((t) => [
            <ReasonList key={`${t.table}-r`} kind="rejected" file={t.file} reasons={t.rejections} />,
            <ReasonList key={`${t.table}-p`} kind="repaired" file={t.file} reasons={t.repairs} />,
            <ReasonList key={`${t.table}-i`} kind="ignored" file={t.file} reasons={t.ignoredBecause} />,
          ])}
        </ul>
      )}
      {s.ignoredFiles.length > 0 && (
        <ul className="import-problems" aria-label="Files not read">
          {s.ignoredFiles.map((f) => (
            <li key={f.file}>
              <span className="import-kind">not read</span> {f.file}: {f.reason}
            </li>
          ))}
        </ul>
      )}
      {s.notes.length > 0 && (
        <ul className="import-problems muted" aria-label="Assumptions">
          {s.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      {report.problemsFile ? (
        <p className="muted">
          Every problem ({plural(report.rejectedCount, 'rejected row')}, {plural(report.warningCount, 'repair')}, and the rows ignored) is listed in{' '}
          <code>{report.problemsFile}</code>.
        </p>
      ) : (
        report.rejectedCount + report.warningCount === 0 && <p className="muted">No row was rejected or repaired.</p>
      )}
      {onDismiss && (
        <button type="button" className="btn btn-small" onClick={onDismiss}>
          Close the report
        </button>
      )}
    </section>
  );
}
