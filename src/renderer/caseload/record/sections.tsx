import type { CaseRecord } from '../../../shared/contract';
import { Chip, Kbd } from '../../views/common';
import { formatWhen, ORIGIN_LABELS } from '../logic';
import { ReferralItem } from './ReferralItem';
import { TaskItem } from './TaskItem';

/** The case record's sections that show what is on file (the forms that change it are beside them). */

type Case = CaseRecord['case'];

export function PersonSection({ person }: { person: CaseRecord['person'] }) {
  return (
    <section className="cl-section" aria-labelledby="person-title">
      <h2 id="person-title">Person</h2>
      <dl className="facts">
        <dt>Phone</dt>
        <dd className="callback">{person.phones?.length ? person.phones.join(' · ') : <span className="muted">none on file</span>}</dd>
        <dt>Born</dt>
        <dd>{person.dob ?? <span className="muted">unknown</span>}</dd>
        <dt>Address</dt>
        <dd>{person.address ?? <span className="muted">unknown</span>}</dd>
        <dt>Language</dt>
        <dd>{person.language ?? <span className="muted">not recorded</span>}</dd>
      </dl>
    </section>
  );
}

export function WhySection({ c }: { c: Case }) {
  return (
    <section className="cl-section" aria-labelledby="why-title">
      <h2 id="why-title">Why</h2>
      <p className="cl-reason">{c.reason}</p>
      <dl className="facts">
        <dt>Origin</dt>
        <dd>{ORIGIN_LABELS[c.origin]}</dd>
        {c.incidentNumber && (
          <>
            <dt>Incident</dt>
            <dd>{c.incidentNumber}</dd>
          </>
        )}
        <dt>Owner</dt>
        <dd>{c.ownerName ?? <span className="tone-warn">Unassigned</span>}</dd>
      </dl>
    </section>
  );
}

export function ReferralsSection({ referrals }: { referrals: CaseRecord['referrals'] }) {
  return (
    <section className="cl-section" aria-labelledby="ref-title">
      <h2 id="ref-title">
        Referrals <span className="count">{referrals.length}</span>
      </h2>
      {referrals.length === 0 ? (
        <p className="empty">None yet. Press R to find a service.</p>
      ) : (
        <ul className="cl-list">
          {referrals.map((r) => (
            <ReferralItem key={r.id} referral={r} />
          ))}
        </ul>
      )}
    </section>
  );
}

export function TasksSection({ tasks, openTasks, now }: { tasks: CaseRecord['tasks']; openTasks: number; now: number }) {
  return (
    <section className="cl-section" aria-labelledby="task-title">
      <h2 id="task-title">
        Tasks <span className="count">{openTasks}</span>
      </h2>
      {tasks.length === 0 ? (
        <p className="empty">No tasks.</p>
      ) : (
        <ul className="cl-list">
          {tasks.map((t) => (
            <TaskItem key={t.id} task={t} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** Who the person agreed may hear what; without a record, nothing is shared. */
export function ConsentSection({ consent, now, onRecord }: { consent: Case['consent']; now: number; onRecord: () => void }) {
  return (
    <section className="cl-section" aria-labelledby="consent-title">
      <div className="cl-section-head">
        <h2 id="consent-title">Consent to share</h2>
        <button type="button" className="btn btn-small" onClick={onRecord}>
          Record <Kbd>O</Kbd>
        </button>
      </div>
      {consent?.length ? (
        <ul className="cl-list">
          {consent.map((x) => (
            <li key={x.shareWith} className="cl-item">
              <div className="cl-item-head">
                <strong>{x.shareWith}</strong>
                <Chip tone={x.given ? 'ok' : 'danger'}>{x.given ? 'May share' : 'Do NOT share'}</Chip>
              </div>
              <div className="muted">
                {x.scope} · {formatWhen(x.at, now)}
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <p className="empty">No consent recorded: share nothing.</p>
      )}
    </section>
  );
}
