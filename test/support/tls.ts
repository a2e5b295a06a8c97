// A private certificate authority made with the real openssl, for the loopback HTTPS servers of the OpenStack client
// tests: no public CA signs for 127.0.0.1, so no real Keystone can stand in.

import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface PrivateCa {
  /** The folder holding ca.pem, server.key/.pem and <client>.key/.pem. */
  dir: string
  /** A file of the folder, by name. */
  path: (name: string) => string
  pem: (name: string) => Buffer
  remove: () => void
}

/**
 * A CA (ca.pem), a server certificate for IP 127.0.0.1 (server.key, server.pem) and one client certificate per name
 * in `clients` (<name>.key, <name>.pem, CN = the name), all signed by the CA and valid for two days. Throws, with
 * openssl's own words, when openssl is missing or fails: test/lab/deps.sh installs it.
 */
export function makePrivateCa(clients: string[] = []): PrivateCa {
  const dir = mkdtempSync(join(tmpdir(), 'neutrace-tls-'))
  const run = (args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  const days = ['-days', '2']
  try {
    run(['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', ...days, '-subj', '/CN=neutrace test CA'])
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n')
    const signed = [['server', '127.0.0.1'], ...clients.map((c) => [c, c])]
    for (const [file, cn] of signed) {
      run(['req', ...key, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${cn}`])
      const ca = ['-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial']
      run(['x509', '-req', '-in', `${file}.csr`, ...ca, '-out', `${file}.pem`, ...days, '-extfile', 'san.ext'])
    }
  } catch (error) {
    rmSync(dir, {recursive: true, force: true})
    throw error
  }
  return {
    dir,
    path: (name) => join(dir, name),
    pem: (name) => readFileSync(join(dir, name)),
    remove: () => rmSync(dir, {recursive: true, force: true}),
  }
}
