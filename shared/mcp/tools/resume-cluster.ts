/** resume_cluster: clears the spec.paused that pause_cluster set, so the controllers reconcile again. */
import { definePauseTool } from '../operations/pause.ts';

export const resumeCluster = definePauseTool({
  name: 'resume_cluster',
  title: 'Resume cluster',
  description: 'Let Cluster API reconcile a paused cluster again.',
  paused: false,
});
