import type { N32Connection } from '../n32c/n32-connection';

/**
 * How an app reaches a peer on N32-c for the requests PRINS sends outside the negotiation
 * (n32f-error, n32f-terminate): the initiator over the connection it negotiated on, the responder
 * over a second N32-c connection it opens to the initiator (TS 33.501 13.2.2.2 step 5), without
 * renegotiating.
 */
export interface PeerChannel {
  connectionTo(peer: string): Promise<N32Connection>;
}
