import type { Referral } from '../../../shared/entities';
import { REFERRAL_LABELS, REFERRAL_MOVES } from '../../../shared/caseload';
import { Chip } from '../../views/common';
import { ActionError, useCaseAction } from '../forms';

/** One referral, with buttons for the moves its status allows. */
export function ReferralItem({ referral }: { referral: Referral }) {
  const { busy, save } = useCaseAction(`ref-${referral.id}`);
  const moves = REFERRAL_MOVES[referral.status];
  const tone = referral.status === 'connected' ? 'ok' : referral.status === 'made' || referral.status === 'accepted' ? 'info' : 'warn';
  return (
    <li className="cl-item" data-referral-id={referral.id}>
      <div className="cl-item-head">
        <strong>{referral.serviceName}</strong>
        <Chip tone={tone}>{REFERRAL_LABELS[referral.status]}</Chip>
      </div>
      {referral.note && <div className="muted">{referral.note}</div>}
      {moves.length > 0 && (
        <div className="cl-item-actions" role="group" aria-label={`Update referral to ${referral.serviceName}`}>
          {moves.map((m) => (
            <button
              key={m}
              type="button"
              className="btn btn-small"
              disabled={busy}
              onClick={() => void save('referral.update', { id: referral.id, status: m }, `Referral: ${REFERRAL_LABELS[m].toLowerCase()}`)}
            >
              {m === 'accepted' ? 'Accepted' : m === 'connected' ? 'Connected' : m === 'declined' ? 'Declined' : 'Unreachable'}
            </button>
          ))}
        </div>
      )}
      <ActionError action={`ref-${referral.id}`} />
    </li>
  );
}
