import { N32KdfLabel, n32Kdf } from './kdf';

/**
 * The PRINS key schedule (TS 33.501 13.2.4.4.1; N32-DIGEST §5.5, §5.7, §11 item 4).
 *
 * Four directions, each with its own key and IV salt (and therefore its own SEQ counter):
 *
 *   session "parallel" = the N32-c INITIATOR is the N32-f HTTP client
 *     parallelRequest   requests   initiator -> responder
 *     parallelResponse  responses  responder -> initiator
 *   session "reverse"  = the N32-c RESPONDER is the N32-f HTTP client
 *     reverseRequest    requests   responder -> initiator
 *     reverseResponse   responses  initiator -> responder
 *
 * Requests and responses of one session use different keys, and the two sessions never share one,
 * so no (key, nonce) pair can be produced by both SEPPs.
 */

/** JWE `enc` values allowed by the N32 profile (`selectedJweCipherSuite`). */
export type JweEnc = 'A128GCM' | 'A256GCM';
export const JWE_ENCS: readonly JweEnc[] = ['A128GCM', 'A256GCM'];

export function isJweEnc(value: unknown): value is JweEnc {
  return value === 'A128GCM' || value === 'A256GCM';
}

/** Key length L for each `enc`: the AES key size (the spec only says "output length"; N32-DIGEST §5.5 [D]). */
export const JWE_KEY_LENGTH: Readonly<Record<JweEnc, number>> = { A128GCM: 16, A256GCM: 32 };
/** IV salt length: 8 octets, leaving 4 for the SEQ in the 96-bit GCM nonce. */
export const IV_SALT_LENGTH = 8;

export type N32Role = 'initiator' | 'responder';
export type N32fSession = 'parallel' | 'reverse';
export type N32fMessageKind = 'request' | 'response';
export type N32fDirection = 'parallelRequest' | 'parallelResponse' | 'reverseRequest' | 'reverseResponse';
export const N32F_DIRECTIONS: readonly N32fDirection[] = ['parallelRequest', 'parallelResponse', 'reverseRequest', 'reverseResponse'];

/** The labels of each direction's key and salt. */
export const N32F_DIRECTION_LABELS: Readonly<Record<N32fDirection, { readonly key: N32KdfLabel; readonly salt: N32KdfLabel }>> = {
  parallelRequest: { key: N32KdfLabel.PARALLEL_REQUEST_KEY, salt: N32KdfLabel.PARALLEL_REQUEST_IV_SALT },
  parallelResponse: { key: N32KdfLabel.PARALLEL_RESPONSE_KEY, salt: N32KdfLabel.PARALLEL_RESPONSE_IV_SALT },
  reverseRequest: { key: N32KdfLabel.REVERSE_REQUEST_KEY, salt: N32KdfLabel.REVERSE_REQUEST_IV_SALT },
  reverseResponse: { key: N32KdfLabel.REVERSE_RESPONSE_KEY, salt: N32KdfLabel.REVERSE_RESPONSE_IV_SALT },
};

export interface N32fDirectionKeys {
  /** AES-GCM key = the JWE CEK (`alg: dir`). */
  readonly key: Buffer;
  /** 8-octet IV salt; the nonce is salt || SEQ. */
  readonly salt: Buffer;
}

export interface N32fKeySet extends Readonly<Record<N32fDirection, N32fDirectionKeys>> {
  readonly enc: JweEnc;
  /** The context ID that went into every derivation (the initiator's, DECISIONS §6). */
  readonly contextId: string;
}

/**
 * Derives all four directions from the 64-octet TLS-exported master key.
 * `initiatorContextId` is the initiating SEPP's n32fContextId from SecParamExchReqData (DECISIONS §6),
 * the SAME value on both SEPPs, even though each SEPP addresses messages with the receiver's ID.
 */
export function deriveN32fKeys(master: Uint8Array, initiatorContextId: string, enc: JweEnc): N32fKeySet {
  const keyLength = JWE_KEY_LENGTH[enc];
  const derive = (direction: N32fDirection): N32fDirectionKeys => {
    const labels = N32F_DIRECTION_LABELS[direction];
    return {
      key: n32Kdf(master, initiatorContextId, labels.key, keyLength),
      salt: n32Kdf(master, initiatorContextId, labels.salt, IV_SALT_LENGTH),
    };
  };
  return {
    enc,
    contextId: initiatorContextId,
    parallelRequest: derive('parallelRequest'),
    parallelResponse: derive('parallelResponse'),
    reverseRequest: derive('reverseRequest'),
    reverseResponse: derive('reverseResponse'),
  };
}

/** "parallel" when the N32-c initiator is the HTTP client of the N32-f exchange, "reverse" otherwise. */
export function sessionFor(httpClient: N32Role): N32fSession {
  return httpClient === 'initiator' ? 'parallel' : 'reverse';
}

/** The direction of a message of `kind` in an exchange whose HTTP client has N32-c role `httpClient`. */
export function directionOf(httpClient: N32Role, kind: N32fMessageKind): N32fDirection {
  const session = sessionFor(httpClient);
  if (session === 'parallel') return kind === 'request' ? 'parallelRequest' : 'parallelResponse';
  return kind === 'request' ? 'reverseRequest' : 'reverseResponse';
}

/**
 * Which direction a SEPP with N32-c role `ownRole` uses to protect (`flow: 'send'`) or verify
 * (`flow: 'receive'`) a message of `kind`:
 *
 *   ownRole     send request      receive response  receive request   send response
 *   initiator   parallelRequest   parallelResponse  reverseRequest    reverseResponse
 *   responder   reverseRequest    reverseResponse   parallelRequest   parallelResponse
 *
 * A SEPP that sends a request (or receives its response) is the HTTP client; one that receives a
 * request (or answers it) is the HTTP server, so the peer is the client.
 */
export function n32fDirection(ownRole: N32Role, kind: N32fMessageKind, flow: 'send' | 'receive'): N32fDirection {
  const weAreClient = (kind === 'request') === (flow === 'send');
  const peerRole: N32Role = ownRole === 'initiator' ? 'responder' : 'initiator';
  return directionOf(weAreClient ? ownRole : peerRole, kind);
}
