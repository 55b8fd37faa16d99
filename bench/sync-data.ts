/** The rows bench:sync moves, shared by the bench and its source process. */
export function caseFields(i: number, at: string) {
  return {
    personId: `per-${i}`, incidentId: null, incidentNumber: `M261127-bnch-${i}`, origin: 'live_call', reason: `Follow-up after crisis call ${i}`,
    status: 'open', risk: ['low', 'moderate', 'high', 'unknown'][i % 4], ownerId: 'u-chris', ownerName: 'Chris Okafor',
    dueAt: at, consent: null, safetyAlert: null, closedAt: null, closureReason: null, createdAt: at, updatedAt: at,
  };
}

export function eventFields(i: number, j: number, at: string) {
  return { caseId: `case-${i}`, at, kind: 'note', authorId: 'u-chris', authorName: 'Chris Okafor', body: { text: `Contact note ${j} for case ${i}: left a message, will try again tomorrow.` }, corrects: null };
}
