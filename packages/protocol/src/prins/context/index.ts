export * from './n32f-context';
export * from './intermediaries';
