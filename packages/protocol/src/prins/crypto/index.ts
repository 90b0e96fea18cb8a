export * from './base64url';
export * from './errors';
export * from './kdf';
export * from './key-schedule';
export * from './nonce';
export * from './replay-window';
export * from './jwe';
export * from './random-id';
