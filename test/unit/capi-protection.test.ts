/** changeRefusal: which destructive changes capi-mcp must never make to a cluster, and why. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changeRefusal, type ClusterChange, type ReplicaChange } from '../../shared/capi/protection.ts';
import type { KubeObject } from '../../shared/kube/client.ts';

const cluster = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}): KubeObject => ({ kind: 'Cluster', metadata: { name: 'c', labels, annotations } });
const machineDeployment = (labels: Record<string, string>): KubeObject => ({ kind: 'MachineDeployment', metadata: { name: 'c-md-0', labels } });

const pool = (from: number, to: number, name = 'md-0'): ReplicaChange => ({ target: `worker pool "${name}"`, from, to });
const controlPlane = (from: number, to: number): ReplicaChange => ({ target: 'the control plane', from, to });

const del: ClusterChange = { action: 'delete' };
const upgrade: ClusterChange = { action: 'upgrade', from: 'v1.35.0', to: 'v1.35.1' };
const scale = (...replicas: ReplicaChange[]): ClusterChange => ({ action: 'scale', replicas });

const protectedLabel = { 'capi-mcp.io/prevent-deletion': 'true' };
const flux = { 'kustomize.toolkit.fluxcd.io/name': 'fleet' };

describe('changeRefusal', () => {
  const table: [string, ClusterChange, KubeObject[], RegExp | undefined][] = [
    // Plain clusters: anything goes.
    ['a plain cluster may be deleted', del, [cluster()], undefined],
    ['a plain cluster may be upgraded', upgrade, [cluster()], undefined],
    ['a plain cluster may be scaled to zero', scale(pool(3, 0)), [cluster()], undefined],

    // prevent-deletion: the cluster, or a whole pool of it, must not go away.
    ['prevent-deletion=true refuses a delete', del, [cluster(protectedLabel)], /prevent-deletion=true; remove the label first if the deletion is intended/],
    ['prevent-deletion=false does not refuse a delete', del, [cluster({ 'capi-mcp.io/prevent-deletion': 'false' })], undefined],
    ['prevent-deletion refuses a pool scaled to zero, naming it', scale(pool(2, 0)), [cluster(protectedLabel)], /prevent-deletion=true, and worker pool "md-0" from 2 to 0 would delete every machine of that pool/],
    ['prevent-deletion refuses one pool to zero among others scaled up', scale(pool(1, 4, 'a'), pool(2, 0, 'b')), [cluster(protectedLabel)], /worker pool "b" from 2 to 0/],
    ['prevent-deletion allows a scale-down that leaves machines', scale(pool(5, 1)), [cluster(protectedLabel)], undefined],
    ['prevent-deletion allows a control plane scaled from 3 to 1', scale(controlPlane(3, 1)), [cluster(protectedLabel)], undefined],
    ['prevent-deletion allows an upgrade', upgrade, [cluster(protectedLabel)], undefined],
    ['prevent-deletion allows a pool already at zero to stay there', scale(pool(0, 0)), [cluster(protectedLabel)], undefined],
    ['prevent-deletion on a MachineDeployment refuses emptying it', scale(pool(2, 0)), [cluster(), machineDeployment(protectedLabel)], /its MachineDeployment c-md-0 carries the label capi-mcp\.io\/prevent-deletion=true/],

    // GitOps: every destructive change belongs in Git.
    ['a Flux Kustomization label refuses a delete', del, [cluster(flux)], /Flux \(Kustomization\) \(label kustomize\.toolkit\.fluxcd\.io\/name=fleet\); delete it from its Git source/],
    ['a Flux HelmRelease label refuses a delete', del, [cluster({ 'helm.toolkit.fluxcd.io/name': 'c' })], /Flux \(HelmRelease\)/],
    ['an Argo CD tracking annotation refuses a delete', del, [cluster({}, { 'argocd.argoproj.io/tracking-id': 'app:x' })], /Argo CD \(annotation argocd\.argoproj\.io\/tracking-id=app:x\); delete it from its Git source/],
    ['an Argo CD instance label refuses a delete', del, [cluster({ 'argocd.argoproj.io/instance': 'app' })], /Argo CD/],
    ['a Flux label refuses a scale to zero', scale(pool(2, 0)), [cluster(flux)], /managed by Flux \(Kustomization\).*scaling down worker pool "md-0" from 2 to 0 is a destructive change: make it in its Git source/],
    ['a Flux label refuses a scale-down that leaves machines', scale(pool(3, 2)), [cluster(flux)], /scaling down worker pool "md-0" from 3 to 2/],
    ['an Argo CD label refuses a control plane scale-down', scale(controlPlane(3, 1)), [cluster({ 'argocd.argoproj.io/instance': 'app' })], /Argo CD.*the control plane from 3 to 1/],
    ['an Argo CD annotation refuses an upgrade', upgrade, [cluster({}, { 'argocd.argoproj.io/tracking-id': 'app:x' })], /Argo CD.*the upgrade from v1\.35\.0 to v1\.35\.1 \(every machine replaced\)/],
    ['a Flux label allows a scale-up (server-side apply still refuses fields Flux owns)', scale(pool(1, 3)), [cluster(flux)], undefined],
    ['a Flux label on a MachineDeployment refuses scaling it down, naming it', scale(pool(2, 1)), [cluster(), machineDeployment(flux)], /label kustomize\.toolkit\.fluxcd\.io\/name=fleet on MachineDeployment c-md-0/],
    ['GitOps wins over prevent-deletion: its hint is the one that helps', del, [cluster({ ...protectedLabel, ...flux })], /managed by Flux/],
    ['a Flux Kustomization namespace label alone refuses a delete', del, [cluster({ 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' })], /Flux \(Kustomization\)/],
    ['a Flux HelmRelease namespace label alone refuses a delete', del, [cluster({ 'helm.toolkit.fluxcd.io/namespace': 'flux-system' })], /Flux \(HelmRelease\)/],
    ["Argo CD's default tracking label before 3.0 (app.kubernetes.io/instance) refuses a delete", del, [cluster({ 'app.kubernetes.io/instance': 'prod-clusters' })], /Argo CD or Helm/],
    ['prevent-deletion=True (any case) refuses a delete', del, [cluster({ 'capi-mcp.io/prevent-deletion': 'True' })], /prevent-deletion/],
    ['prevent-deletion as an annotation refuses a delete too', del, [cluster({}, { 'capi-mcp.io/prevent-deletion': 'true' })], /prevent-deletion/],
    ['a long marker value is cut short, not echoed whole', del, [cluster({}, { 'argocd.argoproj.io/tracking-id': 'x'.repeat(5000) })], /=x{80}…\)/],
  ];
  for (const [name, change, objects, expected] of table) {
    it(name, () => {
      const refusal = changeRefusal(change, objects);
      if (expected) {
        assert.match(refusal?.reason ?? '', expected);
        assert.ok(refusal?.hint, 'a refusal says what to do next');
      } else assert.equal(refusal, undefined, refusal?.reason);
    });
  }

  it('hints at Git for a GitOps-managed cluster, and at the label for a protected one', () => {
    assert.match(changeRefusal(upgrade, [cluster(flux)])!.hint, /Git source Flux \(Kustomization\) applies/);
    assert.match(changeRefusal(scale(pool(1, 0)), [cluster(protectedLabel)])!.hint, /keep at least 1 replica, or remove the label capi-mcp\.io\/prevent-deletion from Cluster c/);
  });
});
