/**
 * What one listener holds against its overload bound (limits/requests-in-flight.ts): the requests
 * in flight now and at most in the last minute, the bound, its priority reserve and the overload
 * signalling threshold as configured now, and since start the requests refused past it, the
 * priority ones taken into the reserve and the answers that carried the SEPP's OCI.
 */
export interface ListenerLoadView {
  readonly inFlight: number;
  readonly peakInFlight: number;
  readonly maxRequestsInFlight: number;
  readonly priorityReserve: number;
  readonly refused: number;
  readonly priorityTaken: number;
  /** From how many in flight answers carry the SEPP's OCI (`limits.ociFromPercent`); null: only refusals do. */
  readonly ociFrom: number | null;
  /** Answers sent with the SEPP's OCI before any refusal (`sepp_overload_oci_answers_total`). */
  readonly signalled: number;
}

/** Seconds `ListenerLoadView.peakInFlight` looks back. */
export const LOAD_PEAK_SECONDS = 60;
