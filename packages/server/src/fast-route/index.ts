export { jsonPostFastPath, mediaTypeOf, type FastAnswer, type JsonPostFastPathOptions, type JsonPostRoute } from './json-post-fast-path';
