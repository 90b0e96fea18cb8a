import type { ServerHttp2Stream } from 'node:http2';
import { N32fErrorType, type N32fErrorInfoData, type PrinsError } from '@sepp/protocol';
import { PROBLEM_JSON } from '../problem/problem-details.filter';

/**
 * What the cSEPP should tell its NF when the pSEPP refuses a protected message (TS 29.573
 * ProblemDetailsMsgForwarding.suggestedStatusCode): a reconstruction problem is the request's
 * fault (400), anything else a failure on the path (500).
 */
function suggestedStatus(error: PrinsError): number {
  return error.type === N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED ? 400 : 500;
}

/** The 403 ProblemDetailsMsgForwarding answer of n32f-process (N32-DIGEST §5.9). */
export function respondWithPrinsError(stream: ServerHttp2Stream, error: PrinsError): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const suggestedStatusCode = suggestedStatus(error);
  const body = JSON.stringify({
    title: 'Forbidden',
    status: 403,
    cause: error.type,
    detail: error.detail,
    suggestedStatusCode,
    suggestedProblemDetails: {
      title: suggestedStatusCode === 400 ? 'Bad Request' : 'Internal Server Error',
      status: suggestedStatusCode,
      cause: suggestedStatusCode === 400 ? 'MANDATORY_IE_INCORRECT' : 'SYSTEM_FAILURE',
      detail: `the peer SEPP refused the protected message (${error.type})`,
    },
  });
  stream.respond({ ':status': 403, 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body) });
  stream.end(body);
}

/** The N32fErrorInfo that reports a refused message to its sender (TS 29.573 n32f-error). */
export function n32fErrorInfo(error: PrinsError, messageId: string, contextIdOfReceiver?: string): N32fErrorInfoData {
  const info: N32fErrorInfoData = { n32fMessageId: messageId, n32fErrorType: error.type };
  if (contextIdOfReceiver) info.n32fContextId = contextIdOfReceiver;
  if (error.errorDetails.length > 0) {
    info.errorDetailsList = error.errorDetails.map((d) => ({ attribute: d.attribute, msgReconstructFailReason: d.msgReconstructFailReason }));
  }
  if (error.failedModifications.length > 0) info.failedModificationList = error.failedModifications.map((f) => ({ ...f }));
  return info;
}
