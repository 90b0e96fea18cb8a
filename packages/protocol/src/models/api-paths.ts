/** TS 29.573 API roots and resources (Release 19). */
export const N32C_HANDSHAKE_API = '/n32c-handshake/v1';
export const N32C_PATHS = {
  exchangeCapability: `${N32C_HANDSHAKE_API}/exchange-capability`,
  exchangeParams: `${N32C_HANDSHAKE_API}/exchange-params`,
  n32fTerminate: `${N32C_HANDSHAKE_API}/n32f-terminate`,
  n32fError: `${N32C_HANDSHAKE_API}/n32f-error`,
} as const;

export const N32F_FORWARD_API = '/n32f-forward/v1';
export const N32F_PROCESS_PATH = `${N32F_FORWARD_API}/n32f-process`;
