export * from './n32f-context';
export * from './intermediaries';
export { IdSlots } from './id-slots';
