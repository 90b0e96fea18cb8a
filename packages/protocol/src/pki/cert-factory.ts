import { x509 } from './x509';
import { type CryptoKey, ECDSA_SHA256, generateP256, importP256PrivateKey, privateKeyToPem, randomSerialHex } from './keys';
import { countryCode, homeNetworkDomain, type PlmnId, plmnFromFqdn, seppFqdn } from './plmn';
import { daysFromNow, MAX_LEAF_VALIDITY_DAYS, resolveValidity, type ValidityOptions } from './validity';

export type { PlmnId } from './plmn';
export { homeNetworkDomain, seppFqdn } from './plmn';
export { MAX_LEAF_VALIDITY_DAYS } from './validity';

/** Organisation of a CA that belongs to no single PLMN (an IPX / roaming-hub style root). */
export const INTERCONNECT_ORGANISATION = 'SEPP interconnect';

const CA_DEFAULT_VALIDITY_DAYS = 3650;
const LEAF_DEFAULT_VALIDITY_DAYS = 365;

export interface MintedCa {
  certPem: string;
  keyPem: string;
  /** Parsed certificate and signing key, kept so leaves can be issued without re-parsing PEM. */
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
  readonly plmn?: PlmnId;
}

export interface MintedLeaf {
  /** The leaf certificate alone. */
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  /** Leaf then issuing CA, ready for a TLS `cert` option. */
  chainPem: string;
}

export interface CreateCaOptions extends ValidityOptions {
  commonName: string;
  plmn?: PlmnId;
}

export type LeafKeyUsage = 'digitalSignature' | 'keyCertSign';
export type LeafExtendedKeyUsage = 'serverAuth' | 'clientAuth';

export interface CreateLeafOptions extends ValidityOptions {
  ca: MintedCa;
  /** SAN dNSName entries; the first one is also the subject CN unless `commonName` is given. */
  dnsNames: string[];
  /** SAN iPAddress entries (e.g. `127.0.0.1` for a test server dialled by address). */
  ipAddresses?: string[];
  commonName?: string;
  /** Subject C/O; derived from the first 3GPP dnsName when omitted. */
  plmn?: PlmnId;
  /** `keyCertSign` exists only to mint a wrongly profiled leaf for negative tests. */
  keyUsage?: LeafKeyUsage;
  /** Defaults to both: a SEPP is TLS server and client on N32. An empty list omits the extension. */
  extendedKeyUsage?: LeafExtendedKeyUsage[];
}

function subjectName(plmn: PlmnId | undefined, commonName: string): x509.JsonName {
  const organisation = plmn ? homeNetworkDomain(plmn) : INTERCONNECT_ORGANISATION;
  return [{ C: [countryCode(plmn)] }, { O: [organisation] }, { CN: [commonName] }];
}

function pem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').trim()}\n`;
}

export async function createCa(opts: CreateCaOptions): Promise<MintedCa> {
  const keys = await generateP256();
  const { notBefore, notAfter } = resolveValidity(opts, CA_DEFAULT_VALIDITY_DAYS);
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: subjectName(opts.plmn, opts.commonName),
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      // pathLen 0: this root only ever signs end-entity SEPP certificates.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ski,
      new x509.AuthorityKeyIdentifierExtension(ski.keyId),
    ],
  });
  return {
    certPem: pem(cert),
    keyPem: privateKeyToPem(keys.privateKey),
    cert,
    privateKey: keys.privateKey,
    plmn: opts.plmn,
  };
}

/** Rebuilds a signing CA from PEM files, e.g. one written earlier by `writeCertificateSet`. */
export async function loadCa(certPem: string, keyPem: string): Promise<MintedCa> {
  const cert = new x509.X509Certificate(certPem);
  const organisation = cert.subjectName.getField('O')[0];
  return {
    certPem: pem(cert),
    keyPem,
    cert,
    privateKey: await importP256PrivateKey(keyPem),
    plmn: organisation ? plmnFromFqdn(organisation) : undefined,
  };
}

async function authorityKeyId(ca: x509.X509Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  // Reusing the CA's own SKI (rather than rehashing its key) keeps AKI/SKI matching even for a
  // CA loaded from PEM that another tool minted with a different key-id method.
  const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : x509.AuthorityKeyIdentifierExtension.create(ca.publicKey);
}

export async function createLeaf(opts: CreateLeafOptions): Promise<MintedLeaf> {
  const [firstName] = opts.dnsNames;
  if (firstName === undefined) {
    throw new RangeError('createLeaf needs at least one dnsName');
  }
  const { notBefore, notAfter } = resolveValidity(opts, LEAF_DEFAULT_VALIDITY_DAYS, MAX_LEAF_VALIDITY_DAYS);
  const plmn = opts.plmn ?? plmnFromFqdn(firstName);
  const keys = await generateP256();
  const usage = opts.keyUsage === 'keyCertSign' ? x509.KeyUsageFlags.keyCertSign : x509.KeyUsageFlags.digitalSignature;
  const ekus = opts.extendedKeyUsage ?? ['serverAuth', 'clientAuth'];
  const crlDomain = opts.ca.plmn ?? plmn;

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    // Non-critical is valid because the subject DN is never empty here (RFC 5280 §4.2.1.6).
    new x509.SubjectAlternativeNameExtension([...opts.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await authorityKeyId(opts.ca.cert),
  ];
  if (ekus.length > 0) {
    extensions.push(new x509.ExtendedKeyUsageExtension(ekus.map((eku) => x509.ExtendedKeyUsage[eku]), false));
  }
  if (crlDomain) {
    // Informational only: neither Node nor the SEPPs fetch CRLs, but the 33.310 profile expects one.
    extensions.push(new x509.CRLDistributionPointsExtension([`http://crl.${homeNetworkDomain(crlDomain)}/ca.crl`]));
  }

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: subjectName(plmn, opts.commonName ?? firstName),
    issuer: opts.ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: opts.ca.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions,
  });
  const certPem = pem(cert);
  return { certPem, keyPem: privateKeyToPem(keys.privateKey), chainPem: certPem + opts.ca.certPem };
}

export interface MintSeppOptions {
  ca: MintedCa;
  plmn: PlmnId;
  extraDnsNames?: string[];
}

/** A well-formed SEPP certificate: SAN = the TS 23.003 SEPP FQDN (plus any extra names). */
export function mintSeppCertificate(opts: MintSeppOptions): Promise<MintedLeaf> {
  return createLeaf({ ca: opts.ca, plmn: opts.plmn, dnsNames: [seppFqdn(opts.plmn), ...(opts.extraDnsNames ?? [])] });
}

/*
 * Negative-test certificates. Two defects need no helper of their own:
 *  - wrong CA:  createLeaf({ ca: await createCa({ commonName: 'Rogue CA' }), dnsNames: [fqdn] })
 *    (give the rogue CA a different commonName so a peer's failure is "unknown issuer", not a
 *    signature mismatch against a same-named trusted CA);
 *  - wrong SAN: createLeaf({ ca, dnsNames: ['sepp.5gc.mnc999.mcc999.3gppnetwork.org'] }).
 */

/** Signed by the right CA, but expired yesterday (notBefore two years ago). */
export function mintExpired(ca: MintedCa, dnsNames: string[]): Promise<MintedLeaf> {
  return createLeaf({ ca, dnsNames, notBefore: daysFromNow(-730), notAfter: daysFromNow(-1) });
}

/** Signed by the right CA, but only valid from tomorrow. */
export function mintNotYetValid(ca: MintedCa, dnsNames: string[]): Promise<MintedLeaf> {
  return createLeaf({ ca, dnsNames, notBefore: daysFromNow(1), validityDays: LEAF_DEFAULT_VALIDITY_DAYS });
}
