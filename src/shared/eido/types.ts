/**
 * The normalized incident: what the rest of Tandem reads from an EIDO document.
 *
 * EIDO spreads one incident over linked components (`$id`/`$ref`), NIEM person data and
 * PIDF-LO XML. Consoles, the server and eligibility rules should not each re-learn that, so
 * `parseEido` flattens it once into this shape. Every timestamp is ISO 8601 in UTC.
 * Optional fields are omitted (never `undefined`) when the document does not carry them (or
 * carried them unusably: then a warning says so).
 */
import type { EidoWarning } from './errors';

/** STA-021 severity/priority scale (caution severity, call priority). */
export type EidoScale = 'highest' | 'high' | 'normal' | 'low' | 'lowest';

export interface NormalizedIncidentType {
  /** `incidentTypeCommonRegistryText`: the NENA Incident Type registry value. */
  registryText?: string;
  /** `incidentTypeInternalCode`: the local code, e.g. an EMD determinant "25-A-1". */
  internalCode?: string;
  /** `incidentTypeInternalText`: the local description. */
  internalText?: string;
}

export interface NormalizedPriority {
  /** `incidentCommonPriorityNumber`. */
  number?: number;
  /** `incidentPriorityInternalText`. */
  internalText?: string;
  /** `priorityIdentifier` of the primary call (STA-023 scale). */
  call?: EidoScale;
}

export interface NormalizedStatus {
  /** `incidentStatusCommonRegistryText` (Incident Status registry). */
  registryText: string[];
  /** `incidentStatusInternalText`. */
  internalText: string[];
  /** `callStateRegistryText` of the primary call, e.g. "callAnswered". */
  callState?: string;
}

export interface NormalizedCall {
  id: string;
  start?: string;
  answer?: string;
  state?: string;
  direction?: 'incoming' | 'outgoing' | 'internal';
  primaryCallType?: string;
  localCallType?: string;
  queue?: string;
}

export interface NormalizedCallback {
  /** Every callback URI (sip:, tel:, ...) in document order, without duplicates. */
  uris: string[];
  /** Dialable number from the first tel: URI, else the first numeric sip: user part. */
  number?: string;
}

export interface NormalizedPerson {
  id: string;
  /** `personIncidentRoleRegistryText`, e.g. ["Caller"]. */
  roles: string[];
  name?: string;
  /** Dialable numbers: the person's callback component, then NIEM contact data. */
  phones: string[];
  /** Date of birth as sent (NIEM date, normally YYYY-MM-DD). */
  dob?: string;
  language?: string;
  /** `callIdentifier`: the calls this person was on. */
  callIds: string[];
}

export interface GeoPoint {
  lat: number;
  lon: number;
  /** Uncertainty radius in metres (PIDF-LO Circle/Sphere). */
  radius?: number;
}

/** RFC 5139/6848 civic address elements (A1 state, A3 city, RD road, HNO house number...). */
export interface CivicFields {
  country?: string;
  A1?: string;
  A2?: string;
  A3?: string;
  A4?: string;
  A5?: string;
  A6?: string;
  PRM?: string;
  PRD?: string;
  RD?: string;
  STS?: string;
  POD?: string;
  POM?: string;
  HNO?: string;
  HNS?: string;
  LMK?: string;
  LOC?: string;
  FLR?: string;
  NAM?: string;
  PC?: string;
  BLD?: string;
  UNIT?: string;
  ROOM?: string;
  SEAT?: string;
  [element: string]: string | undefined;
}

/** A civic address as sent, and as one line a dispatcher would write. */
export interface CivicAddress {
  fields: CivicFields;
  display: string;
}

/** A geodetic location: its centre, and the GML shape it was given as ("point", "circle", ...). */
export type GeodeticPoint = GeoPoint & { shape: string };

export interface NormalizedLocation {
  id: string;
  /**
   * How the location is given, best first: 'civic' when it has an address (it may also have
   * a point), 'geodetic' when it has a point only, 'reference' when it has only a URL that
   * still has to be dereferenced.
   */
  kind: 'civic' | 'geodetic' | 'reference';
  civic?: CivicAddress;
  /** Kept alongside the address when the sender gave both. */
  point?: GeodeticPoint;
  /** The by-reference URL (HELD over https, or a SIP presence URI), also beside a by-value location. */
  referenceUrl?: string;
  /** `locationTypeDescriptionRegistryText`, e.g. "Caller", "Incident", "RoutingLocation". */
  locationType?: string;
  description?: string;
  updatedAt: string;
}

export interface NormalizedNote {
  id: string;
  /** Plain text: tags of the HTML5 note removed, character references decoded. */
  text: string;
  at?: string;
  /** `agentReference`: the id of the agent who wrote the note. */
  author?: string;
}

export interface NormalizedCaution {
  id: string;
  /** `cautionTypeInternalText`, else the registry text. */
  text: string;
  severity?: EidoScale;
  /** `cautionTypeCommonRegistryText`. */
  registryText?: string;
  source?: string;
}

export interface NormalizedDisposition {
  id: string;
  /** `dispositionCommonRegistryCode`. */
  code: string;
  primary?: boolean;
  category?: string;
  description?: string;
  at: string;
}

export interface NormalizedAgency {
  id: string;
  roles: string[];
  types: string[];
  owning?: boolean;
}

export interface NormalizedAgent {
  id: string;
  roles: string[];
  agencyId?: string;
  position?: string;
}

export interface NormalizedEidoIncident {
  /** The document `$id`, the incident tracking identifier ("urn:emergency:uid:incidentid:..."). */
  incidentId: string;
  /** `incidentComponent.internalIncidentId`, the CAD's own number, when sent. */
  internalIncidentId?: string;
  /** `issuingElementIdentification`: the functional element that produced the document. */
  issuer?: string;
  /** The document `lastUpdateTimeStamp`; newer documents supersede older ones. */
  lastUpdated: string;
  /**
   * Who last updated the document. When `updatedByAgencyReference` is missing, the agency
   * that owns the incident (else the first agency, else the issuer) stands in, with a warning.
   */
  updatedBy: { agencyId: string; agentId?: string };
  type: NormalizedIncidentType;
  priority: NormalizedPriority;
  status: NormalizedStatus;
  /** Start of the primary call (the earliest incoming call). */
  callStart?: string;
  callAnswer?: string;
  calls: NormalizedCall[];
  callback: NormalizedCallback;
  persons: NormalizedPerson[];
  /** The location to show first; see `pickPrimaryLocation` for the order of preference. */
  location?: NormalizedLocation;
  locations: NormalizedLocation[];
  /** Oldest first. */
  notes: NormalizedNote[];
  cautions: NormalizedCaution[];
  dispositions: NormalizedDisposition[];
  agencies: NormalizedAgency[];
  agents: NormalizedAgent[];
  /** Agency/agent ids referenced but not described in this document (allowed; see parse.ts). */
  externalRefs: string[];
  /** The document exactly as received (or serialized, when given an object or inside a conveyance event). */
  raw: string;
  /**
   * What Tandem repaired to read this document (a misnamed key, a missing non-essential
   * field, a broken reference dropped...), in the order found; empty for a clean document.
   * Parsing `raw` again gives the same warnings.
   */
  warnings: EidoWarning[];
}
