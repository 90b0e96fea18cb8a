export { N32fTraffic, OTHER_PEERS, TRAFFIC_RATE_SECONDS, TRAFFIC_WINDOW_SECONDS, UNIDENTIFIED, type TrafficDirection, type TrafficOutcome, type TrafficTotals, type TrafficView } from './n32f-traffic';
export { LOAD_PEAK_SECONDS, type ListenerLoadView } from './listener-load';
export type { CertificatesStatusView } from './certificates-view';
export { RefusalLog, REFUSAL_CATEGORIES, type Refusal, type RefusalCategory, type RefusalView } from './refusal-log';
export { refusalCategoryOf, refusalOfError } from './refusal-categories';
export { clientCertificateName, listenerRefusals } from './listener-refusals';
export { PeerTimeline, TIMELINE_LENGTH, type TimelineEntry, type TimelineKind } from './peer-timeline';
export {
  NO_ACTIONS,
  STATUS_CONNECTIONS,
  STATUS_JSON_PATH,
  type PeerStatusView,
  type RelayStatusView,
  type StatusActions,
  type StatusConnection,
  type StatusConnectionSource,
  type StatusDocument,
} from './status-document';
export { SEPP_ACTIONS, SeppStatusService } from './sepp-status.service';
export { STATUS_CSP, STATUS_SOURCE, StatusPageController, type StatusSource } from './status-page.controller';
export { SeppStatusModule } from './status.module';
export { ASSETS_DIR, BROWSER_HEADERS, StaticAssets } from './static-assets';
