/** deletionRefusal: which Clusters capi-mcp must never delete, and why. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deletionRefusal } from '../../shared/capi/deletion.ts';

const cluster = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({ metadata: { name: 'c', labels, annotations } });

describe('deletionRefusal', () => {
  const table: [string, ReturnType<typeof cluster>, RegExp | undefined][] = [
    ['a plain cluster may be deleted', cluster(), undefined],
    ['prevent-deletion=true refuses', cluster({ 'capi-mcp.io/prevent-deletion': 'true' }), /prevent-deletion=true; remove the label first/],
    ['prevent-deletion=false does not refuse', cluster({ 'capi-mcp.io/prevent-deletion': 'false' }), undefined],
    ['a Flux Kustomization label refuses', cluster({ 'kustomize.toolkit.fluxcd.io/name': 'fleet' }), /Flux \(Kustomization\) \(label kustomize\.toolkit\.fluxcd\.io\/name=fleet\)/],
    ['a Flux HelmRelease label refuses', cluster({ 'helm.toolkit.fluxcd.io/name': 'c' }), /Flux \(HelmRelease\)/],
    ['an Argo CD tracking annotation refuses', cluster({}, { 'argocd.argoproj.io/tracking-id': 'app:x' }), /Argo CD \(annotation argocd\.argoproj\.io\/tracking-id=app:x\); delete it from its Git source/],
    ['an Argo CD instance label refuses', cluster({ 'argocd.argoproj.io/instance': 'app' }), /Argo CD/],
  ];
  for (const [name, c, expected] of table) {
    it(name, () => {
      const refusal = deletionRefusal(c);
      if (expected) assert.match(refusal ?? '', expected);
      else assert.equal(refusal, undefined);
    });
  }
});
