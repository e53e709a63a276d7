/**
 * The words of a diagnosis's next steps: the domain names each step as a fact with its arguments
 * (shared/capi/diagnosis-model.ts, NextSteps); here each becomes the capi-mcp tool call that takes it, or
 * the command a person runs where no tool does, as result.ts phrases an error's NextStep.
 *
 * Note: arguments come from objects a tenant can write. The domain already cuts each to one bounded line;
 * a command written here also takes only what reads as a Kubernetes name, so an agent that runs it runs
 * kubectl with names, never with what a tenant wrote after a `;`.
 */
import type { NextAction, NextSteps } from '../capi/diagnosis.ts';

/** A Kubernetes kind, name, namespace or finalizer as a command may carry it. */
const safeWord = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,252})$/;
const word = (value: string | undefined, what: string): string => (value !== undefined && safeWord.test(value) ? value : `<invalid ${what}>`);
/** `kind name -n namespace` as kubectl takes it. */
const object = (a: { kind: string; namespace: string; name: string }) => `${word(a.kind, 'kind').toLowerCase()} ${word(a.name, 'name')} -n ${word(a.namespace, 'namespace')}`;
const cluster = (a: { namespace: string; name: string }) => `namespace=${word(a.namespace, 'namespace')} name=${word(a.name, 'name')}`;

const phrases: { [S in keyof NextSteps]: (args: NextSteps[S]) => string } = {
  'describe-cluster': (a) => `call get_cluster with ${cluster(a)} to see which objects fail`,
  'follow-upgrade': (a) => `call get_cluster with ${cluster(a)} to follow the upgrade: the worker pools follow the control plane`,
  'follow-remediation': (a) => `call get_cluster with ${cluster(a)} to follow Machine ${word(a.machine, 'name')} being replaced by its owner`,
  'follow-deletion': (a) => `call get_cluster with ${cluster(a)} to follow the deletion`,
  'check-control-plane': (a) => `call get_cluster with ${cluster({ namespace: a.namespace, name: a.cluster })}, then run kubectl describe ${object(a)}`,
  'check-nodes': (a) =>
    `call get_cluster_nodes with ${cluster(a)}${a.node ? ` and look at Node ${word(a.node, 'name')}` : ''}` +
    (a.machine ? `; if it does not recover, call remediate_machine with ${cluster(a)} machine=${word(a.machine, 'name')}` : ''),
  'upgrade-workers': (a) => `call upgrade_cluster with ${cluster(a)} kubernetes_version=${word(a.version, 'version')} to bring the workers to the control plane`,
  'upgrade-control-plane': (a) => `call upgrade_cluster with ${cluster(a)} kubernetes_version=${word(a.version, 'version')}: the control plane must not be older than its workers`,
  'resume-cluster': (a) => `call resume_cluster with ${cluster(a)} if the pause is over (ask whoever paused it)`,
  // Note: what resume_cluster does not resume: another object's spec.paused, and CAPI's paused annotation (clusterctl move).
  // Note: the command undoes what pauses the object: its spec.paused, or the annotation — which clusterctl move
  // sets while it moves a cluster, so it is removed only when no move runs.
  'resume-reconciliation': (a) =>
    a.by === 'spec.paused'
      ? `run kubectl patch ${object(a)} --type merge -p '{"spec":{"paused":false}}' to resume reconciliation`
      : `if no clusterctl move is running, run kubectl annotate ${object(a)} cluster.x-k8s.io/paused- to resume reconciliation`,
  'check-infrastructure': (a) => `run kubectl describe ${object(a)} and read the infrastructure provider's logs`,
  'check-bootstrap': (a) => `run kubectl describe ${object(a)} and read the bootstrap provider's logs`,
  'find-finalizer-holder': (a) =>
    `find the controller that owns finalizer ${word(a.finalizer, 'finalizer')} on ${object(a)} and why it has not finished (its logs); do not remove the finalizer by hand: what it guards would be left behind`,
  'fix-topology': (a) => {
    const what = [a.variable && `variable "${word(a.variable, 'variable')}" of the Cluster`, a.patch && `patch "${word(a.patch, 'patch')}" of its ClusterClass`].filter(Boolean).join(' or ');
    return `fix ${what || "the Cluster's topology variables or its ClusterClass's patches"}, then call get_cluster with ${cluster(a)}`;
  },
  'check-workload-api': (a) => `check the workload API server of ${word(a.namespace, 'namespace')}/${word(a.name, 'name')}: its spec.controlPlaneEndpoint and load balancer; call get_cluster_nodes to test it`,
};

/** What an agent does next for `next`, in words. */
export function phraseNextStep(next: NextAction): string {
  return (phrases[next.step] as (args: NextAction['args']) => string)(next.args);
}
