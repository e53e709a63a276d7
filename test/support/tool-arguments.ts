/**
 * Arguments for each tool that reach its handler and change nothing if it runs: an unknown class, a
 * confirm that differs from the name, an operation that does not exist. For tests of who may call what
 * (scopes, namespace and management-cluster limits), where only the gate is under test.
 */
export function harmlessArguments(tool: string, ns: string, name = 'auth-target'): Record<string, unknown> {
  const cluster = { namespace: ns, name };
  switch (tool) {
    case 'list_clusters':
      return { namespace: ns };
    case 'list_operations':
      return { namespace: ns };
    case 'get_operation':
    case 'cancel_operation':
      return { operation_id: 'create-nothing-0000000000' };
    case 'create_cluster':
      // An unknown class: refused by validation before anything is created.
      return { ...cluster, name: 'auth-new', cluster_class: 'no-such-class', kubernetes_version: 'v1.35.0' };
    case 'delete_cluster':
      // confirm differs from the name: refused before anything is deleted.
      return { ...cluster, confirm: 'not-the-name' };
    case 'scale_cluster':
      return { ...cluster, control_plane_replicas: 3 };
    case 'upgrade_cluster':
      return { ...cluster, kubernetes_version: 'v1.35.1' };
    case 'pause_cluster':
    case 'resume_cluster':
      // A dry run: every check of the real call, then a plan; nothing is paused or resumed.
      return { ...cluster, dry_run: true };
    case 'rollout_cluster':
      // A pool that does not exist: refused before anything rolls.
      return { ...cluster, target: 'no-such-pool' };
    case 'remediate_machine':
      // A Machine that does not exist: NotFound before anything is deleted.
      return { ...cluster, machine: 'no-such-machine' };
    default:
      return cluster;
  }
}
