export {
  buildN32OpenApi,
  N32_API_VERSIONS,
  OPENAPI_VERSION,
  type N32ApiName,
  type N32OperationId,
  type N32OpenApiOptions,
  type OpenApiDocument,
  type OpenApiObject,
  type OpenApiOperation,
} from './build-n32-openapi';
export { NSEPP_TELESCOPIC_API, NSEPP_TELESCOPIC_MAPPING_PATH, TelescopicMapping } from './telescopic-mapping';
