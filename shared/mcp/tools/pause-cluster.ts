/** pause_cluster: Cluster API's spec.paused, so no controller changes the cluster until resume_cluster. */
import { definePauseTool } from '../operations/pause.ts';

export const pauseCluster = definePauseTool({
  name: 'pause_cluster',
  title: 'Pause cluster',
  description: 'Stop Cluster API reconciling a cluster (spec.paused) until resume_cluster.',
  paused: true,
});
