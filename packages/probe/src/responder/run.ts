import { CaseRecorder } from '../cases/recorder';
import type { CaseResult } from '../cases/types';
import type { OpenApiValidator } from '../schema/openapi-validator';
import { checkCertificates } from './certificates';
import { checkMalformed } from './malformed';
import { checkIdentity, checkNegotiation, checkRelease, checkTlsProfile } from './negotiation';
import { checkPrins } from './prins';
import { ResponderContext, type ResponderProbeOptions } from './responder-context';

/**
 * The responder role: the probe is an initiating SEPP and runs every case against the partner's
 * N32 listener, in an order that leaves the partner's state as the next group needs it (the
 * release last). Throws TargetUnreachable when the first connection fails.
 */
export async function probeResponder(options: ResponderProbeOptions, validator: OpenApiValidator, onResult?: (result: CaseResult) => void, only: readonly string[] = []): Promise<CaseResult[]> {
  const ctx = new ResponderContext(options, validator);
  const recorder = new CaseRecorder('responder', onResult, only);
  try {
    await checkTlsProfile(ctx, recorder);
    await checkNegotiation(ctx, recorder);
    await checkIdentity(ctx, recorder);
    await checkMalformed(ctx, recorder);
    await checkCertificates(ctx, recorder);
    await checkPrins(ctx, recorder);
    await checkRelease(ctx, recorder);
  } finally {
    ctx.closeAll();
  }
  return recorder.all();
}
