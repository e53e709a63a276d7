/** reservedKeyProblems: which label and annotation keys a caller may not put on a cluster, and why. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reservedKeyProblems } from '../../shared/capi/labels.ts';

describe('reservedKeyProblems', () => {
  const table: [string, string, RegExp | undefined][] = [
    ['an unprefixed key is the caller’s', 'env', undefined],
    ['a key under the caller’s own domain is the caller’s', 'team.example.com/owner', undefined],
    ['a domain that merely ends like a reserved one is the caller’s', 'notkubernetes.io/x', undefined],
    ['Cluster API’s own prefix is reserved', 'cluster.x-k8s.io/cluster-name', /"cluster\.x-k8s\.io\/cluster-name": .*x-k8s\.io.*Cluster API/],
    ['the topology controller’s prefix is reserved', 'topology.cluster.x-k8s.io/owned', /"topology\.cluster\.x-k8s\.io\/owned"/],
    ['the add-on provider’s prefix is reserved', 'addons.cluster.x-k8s.io/helm', /x-k8s\.io/],
    ['capi-mcp’s own prefix is reserved, so a caller cannot set prevent-deletion', 'capi-mcp.io/prevent-deletion', /"capi-mcp\.io\/prevent-deletion": .*capi-mcp/],
    ['a subdomain of capi-mcp.io is reserved', 'x.capi-mcp.io/y', /capi-mcp/],
    ['kubernetes.io is reserved', 'kubernetes.io/metadata.name', /Kubernetes/],
    ['a subdomain of kubernetes.io is reserved (app.kubernetes.io/instance is Argo CD’s default tracking label)', 'app.kubernetes.io/instance', /Kubernetes/],
    ['k8s.io is reserved', 'k8s.io/x', /Kubernetes/],
    ['a subdomain of k8s.io is reserved', 'sigs.k8s.io/cluster-api-provider-aws/role', /Kubernetes/],
    ['Flux’s markers are reserved', 'kustomize.toolkit.fluxcd.io/name', /Flux/],
    ['Argo CD’s markers are reserved', 'argocd.argoproj.io/instance', /Argo CD/],
    ['the reserved check ignores case', 'Cluster.X-K8S.io/x', /x-k8s\.io/],
    ['the CNI add-on selector of the Cluster API quick start is reserved', 'cni', /ClusterResourceSet/],
    ['the cloud controller manager selector of CAPA’s templates is reserved', 'ccm', /ClusterResourceSet/],
    ['the CSI selector of CAPA’s templates is reserved', 'csi', /ClusterResourceSet/],
  ];
  for (const [name, key, expected] of table) {
    it(name, () => {
      const problems = reservedKeyProblems('label', { [key]: 'v' });
      if (expected) {
        assert.equal(problems.length, 1, problems.join('\n'));
        assert.match(problems[0]!, /^label /);
        assert.match(problems[0]!, expected);
      } else assert.deepEqual(problems, []);
    });
  }

  it('names every reserved key, and annotations the same way', () => {
    assert.deepEqual(
      reservedKeyProblems('annotation', { 'a.kubernetes.io/b': '', ok: '', 'capi-mcp.io/x': '' }).map((p) => p.split(':')[0]),
      ['annotation "a.kubernetes.io/b"', 'annotation "capi-mcp.io/x"'],
    );
  });

  it('cuts a long key short instead of echoing it whole', () => {
    const [problem] = reservedKeyProblems('label', { [`k8s.io/${'x'.repeat(400)}`]: '' });
    assert.ok(problem!.length < 300, problem);
  });
});
