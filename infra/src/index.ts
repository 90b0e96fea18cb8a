export {
  createCa,
  createCrl,
  createLeaf,
  homeNetworkDomain,
  INTERCONNECT_ORGANISATION,
  loadCa,
  MAX_LEAF_VALIDITY_DAYS,
  mintExpired,
  mintNotYetValid,
  mintSeppCertificate,
  seppFqdn,
} from './certs/cert-factory';
export type {
  CreateCaOptions,
  CreateCrlOptions,
  CreateLeafOptions,
  LeafExtendedKeyUsage,
  LeafKeyUsage,
  MintedCa,
  MintedLeaf,
  MintSeppOptions,
  PlmnId,
} from './certs/cert-factory';
export { countryCode, parsePlmn, plmnFromFqdn, plmnKey } from './certs/plmn';
export { CA_BUNDLE_FILE, MANIFEST_FILE, readManifest } from './certs/manifest';
export type { BadCertificateFile, BadCertificateFiles, CaMode, CertificateFile, CertificateSetManifest, IpxCertificateFiles, PlmnCertificateFiles } from './certs/manifest';
export { IPX_FILES, WRONG_SAN_FQDN, writeCertificateSet } from './certs/write-certs';
export type { CertificateSetOptions } from './certs/write-certs';
export { REDIS_CLI_BINARY, RedisCluster, RedisSentinel, RedisServer, REDIS_SERVER_BINARY, type RedisClusterOptions, type RedisSentinelOptions, type RedisServerOptions, type RedisTlsFiles } from './redis/redis-server';
export { freePort } from './demo/environment';
