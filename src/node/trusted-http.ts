import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/**
 * HTTP(S) requests that trust what the machine policy says: the public roots, the OS trust
 * store where the runtime exposes it (Electron's Node), and the site's private CA (caFile).
 * Node's fetch cannot take a CA, so enrollment and sign-in went without it; everything the
 * console sends goes through here or through a WebSocket given the same `ca`.
 */
export interface Trust {
  /** PEM text of the private CA(s). */
  ca?: string;
  /** Where it came from, for messages (the caFile path). */
  caSource?: string;
}

type CaReader = (kind: 'system' | 'bundled') => string[];

/** The CA list for a connection, or undefined for Node's defaults when there is no private CA. */
export function trustedCa(trust: Trust | undefined): string[] | undefined {
  if (!trust?.ca) return undefined;
  const read = (tls as unknown as { getCACertificates?: CaReader }).getCACertificates;
  const system = read ? safe(() => read('system')) : [];
  return [...tls.rootCertificates, ...system, trust.ca];
}

function safe(f: () => string[]): string[] {
  try {
    return f();
  } catch {
    return [];
  }
}

/** OpenSSL and Node codes that mean "the certificate", not "the network". */
const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERT_CODES.has(code);
}

export interface PeerCertificate {
  subject: string;
  issuer: string;
  validTo: string;
  altNames: string;
  fingerprint256: string;
}

const dn = (o: Record<string, unknown> | undefined) =>
  o ? Object.entries(o).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ') : '(none)';

/** The certificate a TLS server presents, read without trusting it (to name it in a message). */
export function peerCertificate(url: string, timeoutMs = 3000): Promise<PeerCertificate | null> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const socket = tls.connect({ host, port: Number(u.port || 443), servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      const c = socket.getPeerCertificate();
      socket.destroy();
      resolve(c && c.subject ? { subject: dn(c.subject as unknown as Record<string, unknown>), issuer: dn(c.issuer as unknown as Record<string, unknown>), validTo: c.valid_to, altNames: c.subjectaltname ?? '', fingerprint256: c.fingerprint256 } : null);
    });
    socket.on('error', () => resolve(null));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(null);
    });
  });
}

/**
 * Words for a certificate failure: which server, which certificate (subject, issuer, expiry,
 * fingerprint), why it failed, and what the machine trusts.
 */
export async function describeCertificateError(err: unknown, url: string, trust: Trust | undefined, what = 'the sync server'): Promise<string> {
  const code = String((err as { code?: unknown }).code);
  const origin = new URL(url).origin;
  const cert = await peerCertificate(url);
  const named = cert
    ? `its certificate "${cert.subject}" issued by "${cert.issuer}" (valid to ${cert.validTo}${cert.altNames ? `, for ${cert.altNames}` : ''}; SHA-256 ${cert.fingerprint256})`
    : 'its certificate';
  const trusted = trust?.ca ? `the CA in ${trust.caSource ?? 'caFile'} and the system's trusted CAs` : "the system's trusted CAs (no caFile is set in the machine policy)";
  const why =
    code === 'CERT_HAS_EXPIRED'
      ? 'has expired'
      : code === 'CERT_NOT_YET_VALID'
        ? 'is not valid yet (check this machine\'s clock)'
        : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? `is not for the host name ${new URL(url).hostname} (serverUrl must name a host the certificate lists)`
          : `is not signed by ${trusted}`;
  return `Certificate problem with ${what} at ${origin}: ${named} ${why} [${code}]`;
}

export interface JsonResponse {
  status: number;
  ok: boolean;
  /** The parsed body, or null when it was not JSON. */
  body: unknown;
  /** A response header (lower-case name). */
  header(name: string): string | undefined;
}

/** One JSON request over http or https with the policy's trust; rejects with Node's error (code kept). */
export function requestJson(
  url: string,
  init: {
    method: 'GET' | 'POST' | 'DELETE';
    headers?: Record<string, string>;
    body?: unknown;
    /** A body already serialised as JSON text (sent as is), instead of `body`. */
    text?: string;
    timeoutMs?: number;
    trust?: Trust;
  },
): Promise<JsonResponse> {
  const u = new URL(url);
  const payload = init.text ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const headers: Record<string, string> = { accept: 'application/json', ...(init.headers ?? {}) };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = null;
        }
        const status = res.statusCode ?? 0;
        const header = (name: string) => {
          const v = res.headers[name.toLowerCase()];
          return Array.isArray(v) ? v[0] : v;
        };
        resolve({ status, ok: status >= 200 && status < 300, body, header });
      });
    };
    const opts = { method: init.method, headers, timeout: init.timeoutMs ?? 5000 };
    const req = u.protocol === 'https:' ? https.request(u, { ...opts, ca: trustedCa(init.trust) }, onResponse) : http.request(u, opts, onResponse);
    req.on('timeout', () => req.destroy(Object.assign(new Error(`No answer from ${u.origin} within ${init.timeoutMs ?? 5000} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}
