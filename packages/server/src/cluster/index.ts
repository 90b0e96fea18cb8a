export { ClusterViewService, type ConnectionsProvider, type ReplicaPeerView } from './cluster-view.service';
