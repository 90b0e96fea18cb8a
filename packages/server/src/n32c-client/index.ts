/**
 * The N32-c client side both apps share: dialling a peer's N32-c endpoint (`dialPeer`) and the
 * initiating SEPP's exchange-capability with the check of the answer (`HandshakeClient`).
 */
export { dialPeer } from './dial';
export { HandshakeClient, type NegotiationOutcome } from './handshake.client';
