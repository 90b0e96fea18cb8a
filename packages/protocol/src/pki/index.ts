/**
 * Certificate minting with @peculiar/x509 (P-256, ECDSA-SHA256, the TS 33.310 SEPP profile) and
 * the faulty certificates negative tests need. A subpath of the package (`@sepp/protocol/pki`):
 * the SEPPs never mint certificates and do not load the library.
 */
export {
  createCa,
  createLeaf,
  INTERCONNECT_ORGANISATION,
  loadCa,
  mintExpired,
  mintNotYetValid,
  mintSeppCertificate,
  type CreateCaOptions,
  type CreateLeafOptions,
  type LeafExtendedKeyUsage,
  type LeafKeyUsage,
  type MintedCa,
  type MintedLeaf,
  type MintSeppOptions,
} from './cert-factory';
export { assertPlmn, countryCode, homeNetworkDomain, plmnFromFqdn, seppFqdn, type PlmnId } from './plmn';
export { daysFromNow, MAX_LEAF_VALIDITY_DAYS, resolveValidity, type Validity, type ValidityOptions } from './validity';
export { ECDSA_SHA256, generateP256, importP256PrivateKey, privateKeyToPem, randomSerialHex, type CryptoKey, type CryptoKeyPair } from './keys';
export { x509 } from './x509';
export { createCrl, crlSignedBy, normalizeSerial, readCrls, revokedInChain, type CreateCrlOptions, type CrlSummary, type RevokedEntry } from './crl';
