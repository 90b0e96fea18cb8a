export type { HeaderField, HttpRequestMessage, HttpResponseMessage, RequestContext } from './http-message';
export { headerFieldProblem, headerValue, isJsonMediaType } from './http-message';
// JSON Pointer helpers are public for the RI modification step (JSON Patch over the AAD, N32-DIGEST §5.8).
export { addAtPointer, escapeToken, formatPointer, parsePointer, resolvePointer } from './json-pointer';
export * from './protection-policy';
export * from './reformat';
export * from './rebuild';
