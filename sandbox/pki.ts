/**
 * The sandbox's certificates: one CA, serving certificates for etcd, the API server, the controller
 * manager and every webhook server, client certificates for the admin and the API server's etcd
 * client, and the ServiceAccount token signing key. All ECDSA P-256 (fast to generate, accepted by
 * Go's TLS stack and by the API server's token signer). Generated once per data folder and reused.
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs the Reflect polyfill loaded first.
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const tenYears = 10 * 365 * 24 * 3600 * 1000;

export interface KeyPairFiles {
  readonly cert: string;
  readonly key: string;
}

/** File paths of every certificate, relative to nothing: absolute paths under the pki folder. */
export interface SandboxPki {
  readonly ca: KeyPairFiles;
  readonly apiServer: KeyPairFiles;
  readonly etcdServer: KeyPairFiles;
  readonly etcdClient: KeyPairFiles;
  readonly admin: KeyPairFiles;
  readonly controllerManager: KeyPairFiles;
  /** Per webhook-serving manager: a folder holding tls.crt and tls.key, as controller-runtime expects. */
  readonly webhookDirs: Readonly<Record<string, string>>;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

const loopbackNames = [
  { type: 'ip', value: '127.0.0.1' },
  { type: 'dns', value: 'localhost' },
] as const;

/** Loads the sandbox's PKI from `dir`, generating whatever is missing. */
export async function ensurePki(dir: string, webhookServers: readonly string[]): Promise<SandboxPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = (name: string): KeyPairFiles => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });
  const pki: SandboxPki = {
    ca: pair('ca'),
    apiServer: pair('apiserver'),
    etcdServer: pair('etcd-server'),
    etcdClient: pair('apiserver-etcd-client'),
    admin: pair('admin'),
    controllerManager: pair('controller-manager'),
    webhookDirs: Object.fromEntries(webhookServers.map((name) => [name, join(dir, 'webhooks', name)])),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };

  const ca = await ensureCa(pki.ca);
  await ensureLeaf(ca, pki.apiServer, 'kube-apiserver', 'server', [
    ...loopbackNames,
    { type: 'dns', value: 'kubernetes' },
    { type: 'dns', value: 'kubernetes.default' },
    { type: 'dns', value: 'kubernetes.default.svc' },
    { type: 'dns', value: 'kubernetes.default.svc.cluster.local' },
    { type: 'ip', value: '10.0.0.1' },
  ]);
  await ensureLeaf(ca, pki.etcdServer, 'etcd', 'both', loopbackNames);
  await ensureLeaf(ca, pki.etcdClient, 'kube-apiserver-etcd-client', 'client');
  // Note: system:masters bypasses RBAC; only the sandbox's own components and tests hold this identity.
  await ensureLeaf(ca, pki.admin, 'capi-mcp-sandbox-admin', 'client', [], 'system:masters');
  await ensureLeaf(ca, pki.controllerManager, 'kube-controller-manager', 'server', loopbackNames);
  for (const webhookDir of Object.values(pki.webhookDirs)) {
    await mkdir(webhookDir, { recursive: true, mode: 0o700 });
    await ensureLeaf(ca, { cert: join(webhookDir, 'tls.crt'), key: join(webhookDir, 'tls.key') }, 'webhook', 'server', loopbackNames);
  }
  if (!existsSync(pki.serviceAccountKey)) {
    const keys = await generateKeys();
    await writeFile(pki.serviceAccountPub, pem(await webcrypto.subtle.exportKey('spki', keys.publicKey), 'PUBLIC KEY'));
    await writeFile(pki.serviceAccountKey, await privateKeyPem(keys), { mode: 0o600 });
  }
  return pki;
}

/**
 * A client certificate from the sandbox CA for user `commonName` in group `organization`, written to
 * `files` (kept if present). How a test acts as an identity no ServiceAccount can be: e.g. a member of
 * the group `capi-mcp`, as EKS maps capi-mcp's IAM roles, so deploy/rbac is proven exactly as shipped.
 */
export async function issueClientCertificate(pkiDir: string, files: KeyPairFiles, commonName: string, organization: string): Promise<void> {
  const ca = await ensureCa({ cert: join(pkiDir, 'ca.crt'), key: join(pkiDir, 'ca.key') });
  await ensureLeaf(ca, files, commonName, 'client', [], organization);
}

interface Issuer {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

async function ensureCa(files: KeyPairFiles): Promise<Issuer> {
  if (existsSync(files.cert) && existsSync(files.key)) {
    const cert = new x509.X509Certificate(await readFile(files.cert, 'utf8'));
    return { cert, keys: { publicKey: await cert.publicKey.export(algorithm, ['verify']), privateKey: await importKey(files.key) } };
  }
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=capi-mcp-sandbox-ca',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + tenYears),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeFile(files.cert, cert.toString('pem'));
  await writeFile(files.key, await privateKeyPem(keys), { mode: 0o600 });
  return { cert, keys };
}

type SanEntry = { readonly type: 'ip' | 'dns'; readonly value: string };

async function ensureLeaf(
  ca: Issuer,
  files: KeyPairFiles,
  commonName: string,
  usage: 'server' | 'client' | 'both',
  names: readonly SanEntry[] = [],
  organization?: string,
): Promise<void> {
  if (existsSync(files.cert) && existsSync(files.key)) return;
  const keys = await generateKeys();
  const usages = {
    server: [x509.ExtendedKeyUsage.serverAuth],
    client: [x509.ExtendedKeyUsage.clientAuth],
    both: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  }[usage];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names.map((n) => ({ ...n }))));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: organization ? `CN=${commonName}, O=${organization}` : `CN=${commonName}`,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + tenYears),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  await writeFile(files.cert, cert.toString('pem'));
  await writeFile(files.key, await privateKeyPem(keys), { mode: 0o600 });
}

function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function importKey(file: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(await readFile(file, 'utf8'));
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, true, ['sign']) as Promise<CryptoKey>;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  return pem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

function pem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label);
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
