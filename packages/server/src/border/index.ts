export { BorderModule } from './border.module';
export { BorderService } from './border.service';
export { BorderChecks, type BorderCheck, type BorderCheckMessage, type BorderCheckRefusal } from './border-checks';
export { BorderGate, headerListAccess, headerRecordAccess, type BorderCheckResult, type SeppSide } from './border-gate';
export { HIDDEN_NAMES } from './border.constants';
export { guardedForward, type GuardedForward, type GuardedRequest } from './guarded-forward';
export { BORDER_DEFAULTS, readBorder, type BorderSettings, type PeerBorderSettings } from './read-border';
export { schemaCatalog, threeGppDocuments } from './openapi-documents';
export { BorderConfig } from './border-config.schema';
