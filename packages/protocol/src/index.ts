import 'reflect-metadata';

export * from './errors';
export * from './models/patterns';
export * from './models/common-data';
export * from './models/security-capability';
export * from './models/api-paths';
export * from './models/sec-negotiate';
export { validateBody, parseBody, type ValidationOutcome } from './validation/validate-body';
export * from './selection/select-security-capability';
export * from './selection/sec-negotiate-messages';
export * from './state/peer-state';
export * from './identifiers/plmn';
export * from './identity/certificate-identity';
export * from './sbi/api-root';
export * from './sbi/headers';
export * from './sbi/telescopic';
export * from './sbi/nf-routing';
