/**
 * The provider registry: which provider a Cluster or ClusterClass belongs to, from its contract references
 * alone, and what follows (control-plane replicas, the kubeconfig a person gets). The shipped
 * ClusterClasses under deploy/clusterclasses are read from disk, so the registry and the manifests
 * cannot drift apart.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../shared/kube/client.ts';
import {
  providerNamed,
  providerOfCluster,
  providerOfClusterClass,
  providers,
  takesControlPlaneReplicas,
  userKubeconfigOf,
} from '../../shared/providers/registry.ts';
import { obj } from '../fixtures/objects.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

const infra = (kind: string) => ({ apiGroup: 'infrastructure.cluster.x-k8s.io', kind, name: 'x-infra' });
const cp = (kind: string) => ({ apiGroup: 'controlplane.cluster.x-k8s.io', kind, name: 'x-cp' });

/** A Cluster with the contract references CAPI sets; either may be absent (not reconciled yet). */
const cluster = (refs: { infrastructureRef?: object; controlPlaneRef?: object }, name = 'demo') => obj('Cluster', name, 'team-a').spec(refs).build();

const clusterClass = (infrastructure: string, controlPlane: string) =>
  obj('ClusterClass', 'cc', 'team-a')
    .spec({
      infrastructure: { templateRef: { apiVersion: infrastructure.split(':')[0], kind: infrastructure.split(':')[1], name: 'i' } },
      controlPlane: { templateRef: { apiVersion: controlPlane.split(':')[0], kind: controlPlane.split(':')[1], name: 'c' } },
    })
    .build();

describe('providerOfCluster', () => {
  const table: [string, { infrastructureRef?: object; controlPlaneRef?: object }, string | undefined][] = [
    ['an AWSCluster with a kubeadm control plane is AWS EC2', { infrastructureRef: infra('AWSCluster'), controlPlaneRef: cp('KubeadmControlPlane') }, 'aws-ec2'],
    ['an AWSManagedCluster with an AWSManagedControlPlane is EKS', { infrastructureRef: infra('AWSManagedCluster'), controlPlaneRef: cp('AWSManagedControlPlane') }, 'aws-eks'],
    [
      'the older EKS shape, with the AWSManagedControlPlane as infrastructure too, is EKS',
      { infrastructureRef: cp('AWSManagedControlPlane'), controlPlaneRef: cp('AWSManagedControlPlane') },
      'aws-eks',
    ],
    ['an AWSManagedControlPlane alone is enough to know it is EKS', { controlPlaneRef: cp('AWSManagedControlPlane') }, 'aws-eks'],
    ['a DevCluster is the in-memory provider', { infrastructureRef: infra('DevCluster'), controlPlaneRef: cp('KubeadmControlPlane') }, 'in-memory'],
    ['a kubeadm control plane alone says nothing about the infrastructure', { controlPlaneRef: cp('KubeadmControlPlane') }, undefined],
    ['a Cluster without references yet has no provider', {}, undefined],
    ['an unknown infrastructure kind has no provider', { infrastructureRef: infra('AzureCluster'), controlPlaneRef: cp('KubeadmControlPlane') }, undefined],
    ['a kind of the right name in another API group is not it', { infrastructureRef: { apiGroup: 'example.com', kind: 'AWSCluster', name: 'x' } }, undefined],
    [
      'an AWSManagedCluster under a kubeadm control plane is neither EKS nor EC2',
      { infrastructureRef: infra('AWSManagedCluster'), controlPlaneRef: cp('KubeadmControlPlane') },
      undefined,
    ],
  ];
  for (const [name, refs, expected] of table) {
    it(name, () => assert.equal(providerOfCluster(cluster(refs))?.name, expected));
  }
});

describe('providerOfClusterClass', () => {
  const table: [string, KubeObject, string | undefined][] = [
    [
      'AWSClusterTemplate with KubeadmControlPlaneTemplate is AWS EC2',
      clusterClass('infrastructure.cluster.x-k8s.io/v1beta2:AWSClusterTemplate', 'controlplane.cluster.x-k8s.io/v1beta2:KubeadmControlPlaneTemplate'),
      'aws-ec2',
    ],
    [
      'AWSManagedClusterTemplate with AWSManagedControlPlaneTemplate is EKS',
      clusterClass('infrastructure.cluster.x-k8s.io/v1beta2:AWSManagedClusterTemplate', 'controlplane.cluster.x-k8s.io/v1beta2:AWSManagedControlPlaneTemplate'),
      'aws-eks',
    ],
    [
      'DevClusterTemplate is the in-memory provider',
      clusterClass('infrastructure.cluster.x-k8s.io/v1beta2:DevClusterTemplate', 'controlplane.cluster.x-k8s.io/v1beta2:KubeadmControlPlaneTemplate'),
      'in-memory',
    ],
    [
      'a reference that is not to a template identifies nothing',
      clusterClass('infrastructure.cluster.x-k8s.io/v1beta2:AWSCluster', 'controlplane.cluster.x-k8s.io/v1beta2:KubeadmControlPlaneTemplate'),
      undefined,
    ],
    ['a ClusterClass without a spec has no provider', obj('ClusterClass', 'empty').build(), undefined],
  ];
  for (const [name, cc, expected] of table) {
    it(name, () => assert.equal(providerOfClusterClass(cc)?.name, expected));
  }
});

describe('takesControlPlaneReplicas', () => {
  const table: [string, KubeObject, boolean][] = [
    ['a kubeadm control plane on EC2 counts its replicas', clusterClass('infrastructure.cluster.x-k8s.io/v1beta2:AWSClusterTemplate', 'controlplane.cluster.x-k8s.io/v1beta2:KubeadmControlPlaneTemplate'), true],
    [
      'an EKS control plane has none (AWSManagedControlPlane has no replicas field)',
      clusterClass('infrastructure.cluster.x-k8s.io/v1beta2:AWSManagedClusterTemplate', 'controlplane.cluster.x-k8s.io/v1beta2:AWSManagedControlPlaneTemplate'),
      false,
    ],
    ['an unknown provider gets what CAPI assumes: replicas apply', clusterClass('infrastructure.cluster.x-k8s.io/v1beta2:GCPClusterTemplate', 'controlplane.cluster.x-k8s.io/v1beta2:KubeadmControlPlaneTemplate'), true],
  ];
  for (const [name, cc, expected] of table) {
    it(name, () => assert.equal(takesControlPlaneReplicas(cc), expected));
  }
});

describe('userKubeconfigOf', () => {
  const table: [string, KubeObject, { secretName: string; credential: string }][] = [
    [
      'an EKS cluster hands out the token-based user kubeconfig CAPA writes',
      cluster({ infrastructureRef: infra('AWSManagedCluster'), controlPlaneRef: cp('AWSManagedControlPlane') }, 'eks-1'),
      { secretName: 'eks-1-user-kubeconfig', credential: 'aws-iam-token' },
    ],
    [
      'an EC2 cluster hands out the admin certificate',
      cluster({ infrastructureRef: infra('AWSCluster'), controlPlaneRef: cp('KubeadmControlPlane') }, 'ec2-1'),
      { secretName: 'ec2-1-kubeconfig', credential: 'admin-certificate' },
    ],
    [
      'a cluster of no known provider gets CAPI’s admin kubeconfig',
      cluster({ infrastructureRef: infra('AzureCluster') }, 'az-1'),
      { secretName: 'az-1-kubeconfig', credential: 'admin-certificate' },
    ],
  ];
  for (const [name, c, expected] of table) {
    it(name, () => assert.deepEqual(userKubeconfigOf(c), expected));
  }
});

describe('the registry and deploy/clusterclasses', () => {
  const shipped = providers.flatMap((p) => p.clusterClasses.filter((c) => c.kustomization).map((c) => ({ provider: p.name, ...c, kustomization: c.kustomization! })));

  it('ships a ClusterClass for each AWS provider', () => {
    assert.deepEqual(shipped.map((s) => `${s.provider}:${s.name}`), ['aws-ec2:aws-ec2', 'aws-eks:aws-eks']);
  });

  it('names every provider once', () => {
    assert.equal(new Set(providers.map((p) => p.name)).size, providers.length);
    assert.equal(providerNamed('aws-eks')?.title, 'Amazon EKS (CAPA)');
    assert.equal(providerNamed('gcp'), undefined);
  });

  for (const s of shipped) {
    it(`${s.kustomization} holds ClusterClass ${s.name}, whose templates identify provider ${s.provider}`, () => {
      assert.ok(existsSync(join(repoRoot, s.kustomization, 'kustomization.yaml')), `${s.kustomization}/kustomization.yaml`);
      const documents = parseAllDocuments(readFileSync(join(repoRoot, s.kustomization, 'clusterclass.yaml'), 'utf8')).map((d) => d.toJS() as KubeObject);
      const classes = documents.filter((d) => d.kind === 'ClusterClass');
      assert.deepEqual(classes.map((c) => c.metadata.name), [s.name]);
      assert.equal(providerOfClusterClass(classes[0]!)?.name, s.provider);
    });

    it(`${s.provider} lets callers set only variables ClusterClass ${s.name} defines, and no image, SSH key or unconstrained tag key`, () => {
      const documents = parseAllDocuments(readFileSync(join(repoRoot, s.kustomization, 'clusterclass.yaml'), 'utf8')).map((d) => d.toJS() as KubeObject);
      const variables: { name: string; schema: { openAPIV3Schema: any } }[] = documents.find((d) => d.kind === 'ClusterClass')!.spec.variables;
      const defined = variables.map((v) => v.name);
      const callers = providerNamed(s.provider)!.callerVariables!;
      assert.deepEqual(callers.filter((n) => !defined.includes(n)), [], 'every caller variable is defined');
      assert.deepEqual(callers.filter((n) => ['amiID', 'sshKeyName'].includes(n)), []);
      assert.equal(defined.includes('amiID'), false, 'no image id at all: images come from a pinned owner');
      const tagRules = variables.find((v) => v.name === 'additionalTags')!.schema.openAPIV3Schema['x-kubernetes-validations'].map((r: { rule: string }) => r.rule);
      assert.ok(tagRules.some((r: string) => r.includes('aws:') || r.includes('[aA][wW][sS]:')), 'aws: tag keys refused');
      assert.ok(tagRules.some((r: string) => r.includes('kubernetes[.]io')), 'kubernetes.io tag keys refused');
      assert.match(variables.find((v) => v.name === 'sshKeyName')!.schema.openAPIV3Schema.pattern, /^\^/);
    });
  }
});
