/**
 * Patterns copied from the TS 29.571 / TS 29.573 Release 19 schemas. They are the wire contract:
 * anything these accept, we accept.
 */
export const FQDN_PATTERN = /^([0-9A-Za-z]([-0-9A-Za-z]{0,61}[0-9A-Za-z])?\.)+[A-Za-z]{2,63}\.?$/;
export const FQDN_MIN_LENGTH = 4;
export const FQDN_MAX_LENGTH = 253;
export const MCC_PATTERN = /^\d{3}$/;
export const MNC_PATTERN = /^\d{2,3}$/;
export const NID_PATTERN = /^[A-Fa-f0-9]{11}$/;
export const SUPPORTED_FEATURES_PATTERN = /^[A-Fa-f0-9]*$/;
export const N32_HANDSHAKE_ID_PATTERN = /^[A-Fa-f0-9]{16}$/;
export const N32F_CONTEXT_ID_PATTERN = /^[A-Fa-f0-9]{16}$/;
