import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A private CA and a certificate it signed, as files: keys 0600, certificates 0644. */
export interface CertFiles {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${(err.stderr || err.message).trim().split('\n').slice(-2).join(' ')}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(() => true, () => false);
}

/** A self-signed CA (P-256), made once in dir and reused. */
export async function ensureCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const cert = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  if (!(await exists(cert)) || !(await exists(key))) {
    await openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256',
      '-keyout', key, '-out', cert, '-days', '825', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }
  await fs.chmod(key, 0o600);
  await fs.chmod(cert, 0o644);
  return { cert, key };
}

/** A server certificate for these IPs and names, signed by dir's CA (made once; remade when the names change). */
export async function ensureServerCert(dir: string, o: { caName: string; name: string; ips?: string[]; dns?: string[] }): Promise<CertFiles> {
  const ca = await ensureCa(dir, o.caName);
  const cert = join(dir, `${o.name}.crt`);
  const key = join(dir, `${o.name}.key`);
  const san = [...(o.ips ?? []).map((i) => `IP:${i}`), ...(o.dns ?? []).map((d) => `DNS:${d}`)].join(',');
  const sanFile = join(dir, `${o.name}.san`);
  const same = (await fs.readFile(sanFile, 'utf8').catch(() => '')) === san && (await exists(cert)) && (await exists(key));
  if (!same) {
    const csr = join(dir, `${o.name}.csr`);
    const ext = join(dir, `${o.name}.ext`);
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${o.name}`]);
    await fs.writeFile(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
    await openssl([
      'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(12).toString('hex')}`,
      '-days', '825', '-sha256', '-out', cert, '-extfile', ext,
    ]);
    await fs.rm(csr, { force: true });
    await fs.rm(ext, { force: true });
    await fs.writeFile(sanFile, san);
  }
  await fs.chmod(key, 0o600);
  await fs.chmod(cert, 0o644);
  return { caCert: ca.cert, caKey: ca.key, cert, key };
}
