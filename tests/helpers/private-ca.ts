import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A throwaway certificate authority made with openssl, as an ECC's IT would run its own. */
export const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

export interface Ca {
  /** The CA certificate (PEM file path): what IT puts in caFile. */
  certFile: string;
  cert: string;
  /** A server certificate signed by this CA for the given subjectAltName (e.g. IP:127.0.0.1). */
  issue(name: string, subjectAltName: string, opts?: { days?: number }): { cert: string; key: string };
}

export function makeCa(dir: string, commonName: string): Ca {
  fs.mkdirSync(dir, { recursive: true });
  const key = path.join(dir, 'ca.key');
  const certFile = path.join(dir, 'ca.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certFile, '-days', '2', '-subj', `/CN=${commonName}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return {
    certFile,
    cert: fs.readFileSync(certFile, 'utf8'),
    issue(name, subjectAltName, opts = {}) {
      const k = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const crt = path.join(dir, `${name}.pem`);
      const ext = path.join(dir, `${name}.ext`);
      fs.writeFileSync(ext, `subjectAltName=${subjectAltName}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', k, '-out', csr, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', csr, '-CA', certFile, '-CAkey', key, '-CAcreateserial', '-out', crt, '-days', String(opts.days ?? 1), '-extfile', ext], dir);
      return { cert: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(k, 'utf8') };
    },
  };
}
