/**
 * What one listener holds against its overload bound (limits/requests-in-flight.ts): the requests
 * in flight now and at most in the last minute, the bound and its priority reserve as configured
 * now, and since start the requests refused past it and the priority ones taken into the reserve.
 */
export interface ListenerLoadView {
  readonly inFlight: number;
  readonly peakInFlight: number;
  readonly maxRequestsInFlight: number;
  readonly priorityReserve: number;
  readonly refused: number;
  readonly priorityTaken: number;
}

/** Seconds `ListenerLoadView.peakInFlight` looks back. */
export const LOAD_PEAK_SECONDS = 60;
