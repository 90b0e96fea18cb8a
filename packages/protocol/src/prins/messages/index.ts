export * from './enums';
export * from './bodies';
export * from './n32c-params';
export {
  FlatJweJson,
  FlatJwsJson,
  N32fReformattedReqMsg,
  N32fReformattedRspMsg,
  IndexToEncryptedValue,
  MetaData,
  RequestLine,
  HttpHeader,
  HttpPayload,
  DataToIntegrityProtectBlock,
  DataToIntegrityProtectAndCipherBlock,
  ProblemDetailsMsgForwarding,
} from './n32f-forward';
