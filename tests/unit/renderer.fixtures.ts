import type { Handoff, Incident, Presence } from '../../src/shared/entities';

/** Test rows for the renderer's unit tests (not a test file itself). */
export function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-1',
    number: 'M-0001',
    source: 'manual',
    type: 'Welfare check',
    priority: '2',
    status: 'open',
    location: '1 Main St',
    callbackNumber: '617-555-0100',
    callerName: null,
    notes: null,
    cautions: null,
    eligibility: null,
    eidoRaw: null,
    eidoUpdatedAt: null,
    createdAt: '2025-01-01T10:00:00.000Z',
    createdBy: 'u-dana',
    updatedAt: '2025-01-01T10:00:00.000Z',
    ...over,
  };
}

export function handoff(over: Partial<Handoff> = {}): Handoff {
  return {
    id: 'hof-1',
    incidentId: 'inc-1',
    mode: 'live',
    state: 'ringing',
    requestedBy: 'u-dana',
    requestedByName: 'Dana Reyes',
    requestedAt: '2025-01-01T10:00:00.000Z',
    ringingAt: '2025-01-01T10:00:00.000Z',
    acceptedBy: null,
    acceptedByName: null,
    acceptedAt: null,
    endedAt: null,
    declines: null,
    outcome: null,
    caseId: null,
    note: null,
    ...over,
  };
}

export function presence(over: Partial<Presence> = {}): Presence {
  return {
    id: 'u-chris',
    name: 'Chris Okafor',
    status: 'available',
    directLine: '+1 555 0142',
    updatedAt: '2025-01-01T10:00:00.000Z',
    ...over,
  };
}
