/**
 * A `clusterctl describe`-style tree of one Cluster, built from plain objects (no I/O).
 *
 * Rules:
 * - The Cluster is the root; its infrastructure cluster, control plane, MachineDeployments and
 *   MachinePools are its children, in that order.
 * - Ownership follows ownerReferences by uid (as the controllers set them): MachineSets under their
 *   MachineDeployment, Machines under their MachineSet, control plane or MachinePool.
 * - A Machine whose owner is not among the objects (orphaned, or mid-rollout) is still shown, directly
 *   under the Cluster, so the tree never hides a Machine that exists.
 * - Each node carries Ready (Available for aggregates), UpToDate where the kind has it, and for a node
 *   that is not ready, the failing condition's reason and message.
 */
import type { KubeObject } from '../kube/client.ts';
import type { ClusterObjects } from '../kube/discovery.ts';
import { getCondition, whyNot } from './conditions.ts';
import { whyNotAvailable } from './summary.ts';

export type { ClusterObjects };

export interface TreeNode {
  readonly kind: string;
  readonly name: string;
  /** True/false once reported; undefined while the object reports nothing. */
  readonly ready?: boolean;
  readonly upToDate?: boolean;
  /** "ready/desired" for objects with replicas. */
  readonly replicas?: string;
  /** Why it is not ready: the failing condition's type, reason and first message line. */
  readonly reason?: string;
  readonly children: readonly TreeNode[];
}

/** The condition that means "ready" for each kind (aggregates report Available). */
const readyConditionOf: Record<string, string> = {
  Cluster: 'Available',
  MachineDeployment: 'Available',
  MachinePool: 'Available',
  KubeadmControlPlane: 'Available',
  MachineSet: 'MachinesReady',
};

export function buildClusterTree(objects: ClusterObjects): TreeNode {
  const ownedBy = (owner: KubeObject | undefined, list: readonly KubeObject[]) =>
    owner?.metadata.uid ? list.filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) : [];
  const placed = new Set<KubeObject>();
  const machineNodes = (owner: KubeObject | undefined) =>
    ownedBy(owner, objects.machines).map((m) => {
      placed.add(m);
      return node(m, []);
    });

  const children: TreeNode[] = [];
  if (objects.infrastructure) children.push(node(objects.infrastructure, []));
  if (objects.controlPlane) children.push(node(objects.controlPlane, machineNodes(objects.controlPlane)));
  for (const md of objects.machineDeployments) {
    children.push(node(md, ownedBy(md, objects.machineSets).map((ms) => node(ms, machineNodes(ms)))));
  }
  for (const mp of objects.machinePools) children.push(node(mp, machineNodes(mp)));
  for (const m of objects.machines) if (!placed.has(m)) children.push(node(m, []));
  return node(objects.cluster, children);
}

function node(obj: KubeObject, children: TreeNode[]): TreeNode {
  const kind = obj.kind ?? 'Object';
  const readyType = readyConditionOf[kind] ?? 'Ready';
  const ready = readiness(obj, readyType);
  const upToDate = getCondition(obj, 'UpToDate')?.status;
  const reason = ready !== false ? undefined : kind === 'Cluster' ? whyNotAvailable(obj) : whyNot(obj, readyType);
  const replicas = replicaText(obj);
  return {
    kind,
    name: obj.metadata.name,
    ...(ready !== undefined ? { ready } : {}),
    ...(upToDate && upToDate !== 'Unknown' ? { upToDate: upToDate === 'True' } : {}),
    ...(replicas ? { replicas } : {}),
    ...(reason ? { reason } : {}),
    children,
  };
}

function readiness(obj: KubeObject, type: string): boolean | undefined {
  const condition = getCondition(obj, type);
  if (condition && condition.status !== 'Unknown') return condition.status === 'True';
  // Infrastructure providers may report readiness only through the v1beta2 contract field.
  const provisioned = obj.status?.initialization?.provisioned;
  return typeof provisioned === 'boolean' ? provisioned : condition ? false : undefined;
}

function replicaText(obj: KubeObject): string | undefined {
  const status = obj.status ?? {};
  const desired = obj.spec?.replicas;
  if (typeof desired !== 'number') return undefined;
  return `${status.readyReplicas ?? 0}/${desired}`;
}

/** The tree as indented text lines, e.g. "└─ Machine/demo-md-0-x  ready up-to-date". */
export function renderTree(root: TreeNode): string {
  const lines: string[] = [];
  const walk = (n: TreeNode, prefix: string, branch: string) => {
    const state = n.ready === undefined ? 'unknown' : n.ready ? 'ready' : 'NOT READY';
    const extras = [n.replicas, n.upToDate === false ? 'outdated' : undefined, n.reason ? `(${n.reason})` : undefined].filter(Boolean);
    lines.push(`${prefix}${branch}${n.kind}/${n.name} ${state}${extras.length ? ` ${extras.join(' ')}` : ''}`);
    const childPrefix = prefix + (branch === '├─ ' ? '│  ' : branch === '└─ ' ? '   ' : '');
    n.children.forEach((c, i) => walk(c, childPrefix, i === n.children.length - 1 ? '└─ ' : '├─ '));
  };
  walk(root, '', '');
  return lines.join('\n');
}
