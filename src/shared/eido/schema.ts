/**
 * The parts of EIDO 1.0 that Tandem reads, after NENA's OpenAPI file
 * (`components.schemas.*Type`, reference-data/eido/nena-eido-openapi.yaml): for each
 * component, every EIDO name it may carry (so near misses can be recognized), the fields
 * Tandem reads and their kinds, the fields EIDO requires, and the fields without which the
 * component has nothing to show. Reading itself is in components.ts.
 */
import type { KeyVocabulary } from './keys';

export const SCALE = ['highest', 'high', 'normal', 'low', 'lowest'] as const;
export const DIRECTIONS = ['incoming', 'outgoing', 'internal'] as const;

/**
 * How a field is read: `text` a non-empty string; `timestamp` an RFC 3339 date-time with a
 * zone; `textList` a list of strings; `ref` a `{ $ref }` object; `refs` a list of them;
 * `scale` the STA-021 severity scale (any case); `direction` a call direction; `bool`, `int`;
 * `object` any JSON object (NIEM data, read tolerantly elsewhere).
 */
export type FieldKind = 'text' | 'timestamp' | 'textList' | 'ref' | 'refs' | 'scale' | 'direction' | 'bool' | 'int' | 'object';

export interface ComponentSpec {
  /** The component type in messages: "call", "location". */
  label: string;
  vocab: KeyVocabulary;
  /** The fields Tandem reads (others stay in the raw document). */
  fields: Readonly<Record<string, FieldKind>>;
  /** Components nested inside this one (the incident's dispositions, a callback's updated number). */
  nested?: Readonly<Record<string, { spec: ComponentSpec; list: boolean }>>;
  /** Required by EIDO 1.0: a missing one is reported (and repaired where Tandem can). */
  required: readonly string[];
  /** Groups of fields of which at least one must be usable, else the component is left out. */
  needsOneOf: readonly (readonly string[])[];
}

const PROLOGUE_NAMES = [
  '$id', 'lastUpdateTimeStamp', 'updatedByAgencyReference', 'updatedByAgentReference',
  'AlternateValueReferences', 'externalInformationSourceReferences', 'mediaReferences',
] as const;
const PROLOGUE_FIELDS = {
  $id: 'text',
  lastUpdateTimeStamp: 'timestamp',
  updatedByAgencyReference: 'ref',
  updatedByAgentReference: 'ref',
} as const satisfies Record<string, FieldKind>;
const PROLOGUE_REQUIRED = ['$id', 'lastUpdateTimeStamp', 'updatedByAgencyReference'] as const;

/** Every object with a prologue is read with the prologue's names as well as its own. */
function vocab(names: readonly string[], aliases: Record<string, string> = {}): KeyVocabulary {
  return { known: [...PROLOGUE_NAMES, ...names], aliases: { id: '$id', ...aliases } };
}

export const REFERENCE_VOCAB: KeyVocabulary = { known: ['$ref'], aliases: { ref: '$ref', id: '$ref', $id: '$ref' } };

export const DISPOSITION: ComponentSpec = {
  label: 'disposition',
  vocab: vocab(['dispositionCommonRegistryCode', 'dispositionPrimaryIndicator', 'dispositionCategoryText', 'dispositionDescriptionText', 'notesReference']),
  fields: {
    ...PROLOGUE_FIELDS,
    dispositionCommonRegistryCode: 'text',
    dispositionPrimaryIndicator: 'bool',
    dispositionCategoryText: 'text',
    dispositionDescriptionText: 'text',
    notesReference: 'refs',
  },
  required: [...PROLOGUE_REQUIRED, 'dispositionCommonRegistryCode'],
  needsOneOf: [['dispositionCommonRegistryCode']],
};

export const INCIDENT: ComponentSpec = {
  label: 'incident',
  vocab: vocab([
    'incidentTypeInternalCode', 'incidentTypeInternalText', 'incidentTypeCommonRegistryText', 'incidentStatusInternalText',
    'incidentStatusCommonRegistryText', 'internalIncidentId', 'agentReference', 'locationReference', 'personReference',
    'organizationReference', 'vehicleReference', 'documentIdentification', 'reportNumberType', 'incidentPriorityInternalText',
    'incidentCommonPriorityNumber', 'beatOrDispatchGroupText', 'dispositionComponent', 'notesReference',
  ]),
  fields: {
    ...PROLOGUE_FIELDS,
    incidentTypeCommonRegistryText: 'text',
    incidentTypeInternalCode: 'text',
    incidentTypeInternalText: 'text',
    incidentStatusCommonRegistryText: 'textList',
    incidentStatusInternalText: 'textList',
    internalIncidentId: 'text',
    incidentPriorityInternalText: 'text',
    incidentCommonPriorityNumber: 'int',
    locationReference: 'refs',
    personReference: 'refs',
    notesReference: 'refs',
  },
  nested: { dispositionComponent: { spec: DISPOSITION, list: true } },
  required: [...PROLOGUE_REQUIRED, 'incidentTypeCommonRegistryText'],
  needsOneOf: [],
};

export const CALL: ComponentSpec = {
  label: 'call',
  vocab: vocab([
    'relatedCallIdentifier', 'queueIdentifier', 'standardPrimaryCallType', 'standardSecondaryCallType', 'localCallType',
    'direction', 'priorityIdentifier', 'additionalDataReference', 'callStartTimestamp', 'answerDate', 'callStateRegistryText',
    'agentReference', 'callBackReference', 'verstat', 'sipIdentity', 'locationReference', 'notesReference', 'personReference',
    'organizationReference', 'agencyReference',
  ], { callBackReferences: 'callBackReference', callbackReference: 'callBackReference' }),
  fields: {
    ...PROLOGUE_FIELDS,
    callStateRegistryText: 'text',
    standardPrimaryCallType: 'text',
    direction: 'direction',
    callStartTimestamp: 'timestamp',
    answerDate: 'timestamp',
    priorityIdentifier: 'scale',
    localCallType: 'text',
    queueIdentifier: 'text',
    callBackReference: 'ref',
    locationReference: 'refs',
    personReference: 'refs',
    notesReference: 'refs',
    agentReference: 'refs',
  },
  required: [...PROLOGUE_REQUIRED, 'callStateRegistryText', 'standardPrimaryCallType', 'direction', 'callStartTimestamp'],
  needsOneOf: [],
};

export const UPDATED_CBN: ComponentSpec = {
  label: 'updated callback number',
  vocab: vocab(['updatedCbnIdentifierUri', 'updatedCbnCallerDescription']),
  fields: { ...PROLOGUE_FIELDS, updatedCbnIdentifierUri: 'text' },
  required: [...PROLOGUE_REQUIRED, 'updatedCbnIdentifierUri'],
  needsOneOf: [['updatedCbnIdentifierUri']],
};

export const CALLBACK: ComponentSpec = {
  label: 'callback',
  vocab: vocab(['callBackInformationUri', 'deviceContactHeader', 'updatedCbn'], { callbackInformationUri: 'callBackInformationUri' }),
  fields: { ...PROLOGUE_FIELDS, callBackInformationUri: 'textList', deviceContactHeader: 'text' },
  nested: { updatedCbn: { spec: UPDATED_CBN, list: false } },
  required: PROLOGUE_REQUIRED,
  needsOneOf: [],
};

export const LOCATION: ComponentSpec = {
  label: 'location',
  vocab: vocab([
    'locationTypeDescriptionRegistryText', 'locationByValue', 'locationByReferenceUrl', 'locationDereferencedFromReference',
    'locationDescriptionText', 'crossStreetByValue', 'crossStreetByReferenceUrl', 'intersectingStreetByValue',
    'intersectingStreetByReferenceUrl', 'cellTowerSectorId', 'additionalDataReference', 'localIdentifier', 'notesReference',
  ]),
  fields: {
    ...PROLOGUE_FIELDS,
    locationTypeDescriptionRegistryText: 'text',
    locationByValue: 'text',
    locationByReferenceUrl: 'text',
    locationDescriptionText: 'text',
  },
  required: [...PROLOGUE_REQUIRED, 'locationTypeDescriptionRegistryText'],
  // STA-021: a location component conveys its location by value or by reference.
  needsOneOf: [['locationByValue', 'locationByReferenceUrl']],
};

export const PERSON: ComponentSpec = {
  label: 'person',
  vocab: vocab([
    'ncPersonComponent', 'personIncidentRoleRegistryText', 'callIdentifier', 'locationReference', 'destinationReference', 'eta',
    'notesReference', 'additionalDataReference', 'callBackReference', 'personCallLegState', 'itemReference',
  ], { personComponent: 'ncPersonComponent', ncPerson: 'ncPersonComponent' }),
  fields: {
    ...PROLOGUE_FIELDS,
    personIncidentRoleRegistryText: 'textList',
    callIdentifier: 'textList',
    callBackReference: 'ref',
    ncPersonComponent: 'object',
    locationReference: 'refs',
    notesReference: 'refs',
  },
  required: [...PROLOGUE_REQUIRED, 'personIncidentRoleRegistryText'],
  needsOneOf: [],
};

export const NOTES: ComponentSpec = {
  label: 'note',
  vocab: vocab(['notesActionComments', 'agentReference', 'cautionReference'], {
    // Where senders have been seen to put the text of a note.
    notesActionComment: 'notesActionComments',
    noteActionComments: 'notesActionComments',
    notesComments: 'notesActionComments',
    noteText: 'notesActionComments',
    notesText: 'notesActionComments',
    note: 'notesActionComments',
    notes: 'notesActionComments',
    comment: 'notesActionComments',
    comments: 'notesActionComments',
    text: 'notesActionComments',
  }),
  fields: { ...PROLOGUE_FIELDS, notesActionComments: 'text', agentReference: 'ref' },
  required: [...PROLOGUE_REQUIRED, 'notesActionComments'],
  needsOneOf: [['notesActionComments']],
};

export const CAUTION: ComponentSpec = {
  label: 'caution',
  vocab: vocab(['cautionTypeInternalText', 'cautionTypeCommonRegistryText', 'cautionTypeCommonSubRegistryText', 'cautionSeverity', 'cautionSource', 'startDate']),
  fields: {
    ...PROLOGUE_FIELDS,
    cautionTypeInternalText: 'text',
    cautionTypeCommonRegistryText: 'text',
    cautionSeverity: 'scale',
    cautionSource: 'text',
    startDate: 'timestamp',
  },
  required: [...PROLOGUE_REQUIRED, 'cautionTypeInternalText', 'cautionTypeCommonRegistryText', 'cautionSeverity'],
  needsOneOf: [['cautionTypeInternalText', 'cautionTypeCommonRegistryText']],
};

export const AGENCY: ComponentSpec = {
  label: 'agency',
  vocab: vocab(['agencyJcard', 'agencyRoleDescriptionRegistryText', 'agencyType', 'notesReference', 'incidentOwningAgencyIndicator', 'actingOnBehalfOfAgencyReference', 'agencyCallLegState']),
  fields: { ...PROLOGUE_FIELDS, agencyRoleDescriptionRegistryText: 'textList', agencyType: 'textList', incidentOwningAgencyIndicator: 'bool' },
  required: [...PROLOGUE_REQUIRED, 'agencyRoleDescriptionRegistryText', 'agencyType'],
  needsOneOf: [],
};

export const AGENT: ComponentSpec = {
  label: 'agent',
  vocab: vocab(['agentJcard', 'agentWorkstationPositionIdentification', 'agentRoleRegistryText', 'agencyReference', 'notesReference', 'agentCallLegState']),
  fields: { ...PROLOGUE_FIELDS, agentRoleRegistryText: 'textList', agencyReference: 'ref', agentWorkstationPositionIdentification: 'text' },
  required: [...PROLOGUE_REQUIRED, 'agentRoleRegistryText', 'agencyReference'],
  needsOneOf: [],
};

/** The component lists of the document that Tandem reads, in reading order. */
export const COMPONENT_LISTS = {
  callComponent: CALL,
  callbackComponent: CALLBACK,
  locationComponent: LOCATION,
  personComponent: PERSON,
  notesComponent: NOTES,
  cautionComponent: CAUTION,
  agencyComponent: AGENCY,
  agentComponent: AGENT,
} as const;

/** The document itself (EmergencyIncidentDataObjectType). */
export const DOCUMENT_VOCAB: KeyVocabulary = vocab(
  [
    'eidoVersion', 'eidoExtensionId', 'issuingElementIdentification', 'mergeComponent', 'linkComponent', 'incidentComponent',
    'callComponent', 'callbackComponent', 'dispatchComponent', 'notesComponent', 'emergencyResourceComponent',
    'alarmsSensorsComponent', 'agencyComponent', 'agentComponent', 'additionalDataComponent', 'locationComponent',
    'personComponent', 'vehicleComponent', 'cautionComponent', 'mediaComponent', 'sharedCommunicationResourceComponent',
    'externalInformationSourceComponent', '@context',
  ],
  {
    // Component lists under the names senders have been seen to use.
    notes: 'notesComponent',
    note: 'notesComponent',
    noteComponent: 'notesComponent',
    notesComponents: 'notesComponent',
    calls: 'callComponent',
    locations: 'locationComponent',
    persons: 'personComponent',
    people: 'personComponent',
    cautions: 'cautionComponent',
    agencies: 'agencyComponent',
    agents: 'agentComponent',
    incident: 'incidentComponent',
    callbacks: 'callbackComponent',
    version: 'eidoVersion',
  },
);

/** The conveyance wrapper (NENA-STA-024 eventObject): EIDO documents in `event.notification`. */
export const EVENT_VOCAB: KeyVocabulary = { known: ['subscriptionId', 'transactionId', 'notification'], aliases: { notifications: 'notification' } };

// ---------------------------------------------------------------------------------------
// The components as read: every field optional but the prologue's id and timestamp, which
// reading always supplies (repairing them when it must).

export interface Ref {
  $ref: string;
}

interface Prologue {
  $id: string;
  lastUpdateTimeStamp: string;
  updatedByAgencyReference?: Ref;
  updatedByAgentReference?: Ref;
}

export interface DispositionRead extends Prologue {
  dispositionCommonRegistryCode: string;
  dispositionPrimaryIndicator?: boolean;
  dispositionCategoryText?: string;
  dispositionDescriptionText?: string;
}

export interface IncidentRead extends Prologue {
  incidentTypeCommonRegistryText?: string;
  incidentTypeInternalCode?: string;
  incidentTypeInternalText?: string;
  incidentStatusCommonRegistryText?: string[];
  incidentStatusInternalText?: string[];
  internalIncidentId?: string;
  incidentPriorityInternalText?: string;
  incidentCommonPriorityNumber?: number;
  locationReference?: Ref[];
  personReference?: Ref[];
  notesReference?: Ref[];
  dispositionComponent?: DispositionRead[];
}

export interface CallRead extends Prologue {
  callStateRegistryText?: string;
  standardPrimaryCallType?: string;
  direction?: (typeof DIRECTIONS)[number];
  callStartTimestamp?: string;
  answerDate?: string;
  priorityIdentifier?: string;
  localCallType?: string;
  queueIdentifier?: string;
  callBackReference?: Ref;
}

export interface CallbackRead extends Prologue {
  callBackInformationUri?: string[];
  updatedCbn?: Prologue & { updatedCbnIdentifierUri: string };
}

export interface LocationRead extends Prologue {
  locationTypeDescriptionRegistryText?: string;
  locationByValue?: string;
  locationByReferenceUrl?: string;
  locationDescriptionText?: string;
}

export interface PersonRead extends Prologue {
  personIncidentRoleRegistryText?: string[];
  callIdentifier?: string[];
  callBackReference?: Ref;
  ncPersonComponent?: Record<string, unknown>;
}

export interface NotesRead extends Prologue {
  notesActionComments: string;
  agentReference?: Ref;
}

export interface CautionRead extends Prologue {
  cautionTypeInternalText?: string;
  cautionTypeCommonRegistryText?: string;
  cautionSeverity?: string;
  cautionSource?: string;
}

export interface AgencyRead extends Prologue {
  agencyRoleDescriptionRegistryText?: string[];
  agencyType?: string[];
  incidentOwningAgencyIndicator?: boolean;
}

export interface AgentRead extends Prologue {
  agentRoleRegistryText?: string[];
  agencyReference?: Ref;
  agentWorkstationPositionIdentification?: string;
}

export interface DocumentRead extends Prologue {
  issuingElementIdentification?: string;
  incidentComponent?: IncidentRead;
  callComponent: CallRead[];
  callbackComponent: CallbackRead[];
  locationComponent: LocationRead[];
  personComponent: PersonRead[];
  notesComponent: NotesRead[];
  cautionComponent: CautionRead[];
  agencyComponent: AgencyRead[];
  agentComponent: AgentRead[];
}
