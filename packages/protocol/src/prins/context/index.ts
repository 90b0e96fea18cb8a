export * from './n32f-context';
