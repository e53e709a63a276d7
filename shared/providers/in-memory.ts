/**
 * CAPD's DevCluster with the in-memory backend: the sandbox management cluster's provider, whose
 * machines and workload API servers live in the provider's memory. Its ClusterClass is installed by
 * the sandbox from the CAPI test module, not shipped here.
 */
import { adminKubeconfig, infrastructureGroup, type Provider } from './provider.ts';

export const inMemory: Provider = {
  name: 'in-memory',
  title: 'In-memory (CAPD DevCluster, sandbox)',
  infrastructureKinds: [{ group: infrastructureGroup, kind: 'DevCluster' }],
  clusterClasses: [{ name: 'in-memory' }],
  controlPlaneReplicas: true,
  userKubeconfig: adminKubeconfig,
  // Note: no callerVariables: the sandbox's classes are test fixtures, and every variable they define is the caller's.
};
