import type { ServerHttp2Stream } from 'node:http2';
import { N32fErrorType, type N32fErrorInfoData, type PrinsError } from '@sepp/protocol';
import { PROBLEM_JSON } from '../problem/problem-details.filter';
import { endWithBody } from '../n32f/buffered';

/**
 * What the cSEPP should tell its NF when the pSEPP refuses a protected message (TS 29.573
 * ProblemDetailsMsgForwarding.suggestedStatusCode): a reconstruction problem is the request's
 * fault (400), a message refused by policy (an access token of another PLMN) a refusal (403),
 * anything else a failure on the path (500).
 */
function suggestedStatus(error: PrinsError): number {
  if (error.type === N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED) return 400;
  return error.type === N32fErrorType.POLICY_MISMATCH ? 403 : 500;
}

const SUGGESTED: Readonly<Record<number, { title: string; cause: string }>> = {
  400: { title: 'Bad Request', cause: 'MANDATORY_IE_INCORRECT' },
  403: { title: 'Forbidden', cause: 'UNSPECIFIED' },
  500: { title: 'Internal Server Error', cause: 'SYSTEM_FAILURE' },
};

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
      title: SUGGESTED[suggestedStatusCode]!.title,
      status: suggestedStatusCode,
      cause: SUGGESTED[suggestedStatusCode]!.cause,
      detail: `the peer SEPP refused the protected message (${error.type})`,
    },
  });
  stream.respond({ ':status': 403, 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body) });
  endWithBody(stream, body);
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
