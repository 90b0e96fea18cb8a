export { BarredSubscribersCheck } from './barred-subscribers.check';
export { BARRED_SUBSCRIBERS } from './barred-subscribers.constants';
export { BarredSubscribersModule } from './barred-subscribers.module';
