/**
 * The sandbox carries the real CAPA (cluster-api-provider-aws v2) CRDs, so AWS objects are created, read
 * and validated exactly as on an EKS-hosted management cluster: by the API server's schemas and, when the
 * test sandbox runs the AWS profile (`npm test`, `npm run test:aws`), by CAPA's own webhooks (its controllers act on these objects only once a
 * Cluster owns them, which none here does).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { testSandboxOptions, useNamespace } from '../support/sandbox.ts';

const ns = await useNamespace('sandbox-capa');

type Obj = KubernetesObject & { metadata: { name: string; namespace: string }; spec?: any };

const awsCluster = (name: string, spec: Record<string, unknown>): Obj => ({
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
  kind: 'AWSCluster',
  metadata: { name, namespace: ns.name },
  spec,
});

const managedControlPlane = (name: string, spec: Record<string, unknown>): Obj => ({
  apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2',
  kind: 'AWSManagedControlPlane',
  metadata: { name, namespace: ns.name },
  spec,
});

/** The rejection message for `obj` (422 Invalid from the API server's schema unless `code` says otherwise), or fails when it was accepted. */
async function rejection(obj: Obj, code = 422): Promise<string> {
  try {
    await ns.objects.create(obj);
  } catch (error) {
    const e = error as { code?: number; body?: unknown };
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${String(e.body)}`);
    return typeof e.body === 'string' ? e.body : JSON.stringify(e.body);
  }
  assert.fail(`${obj.kind} ${obj.metadata?.name} was accepted`);
}

describe('CAPA objects on the sandbox', () => {
  it('creates and reads back an AWSCluster', async () => {
    await ns.objects.create(awsCluster('ec2-demo', { region: 'eu-west-1', sshKeyName: 'ops' }));
    const read = (await ns.objects.read(awsCluster('ec2-demo', {}))) as Obj;
    assert.equal(read.spec.region, 'eu-west-1');
    assert.equal(read.spec.sshKeyName, 'ops');
  });

  it('creates and reads back an AWSManagedControlPlane', async () => {
    await ns.objects.create(managedControlPlane('eks-demo', { region: 'us-east-1', version: 'v1.33', eksClusterName: 'eks-demo' }));
    const read = (await ns.objects.read(managedControlPlane('eks-demo', {}))) as Obj;
    assert.equal(read.spec.eksClusterName, 'eks-demo');
    assert.equal(read.spec.version, 'v1.33');
  });

  it('rejects an AWSManagedControlPlane whose version breaks the CRD pattern', async () => {
    const message = await rejection(managedControlPlane('eks-bad-version', { region: 'us-east-1', version: 'latest' }));
    assert.match(message, /spec\.version/);
  });

  it('rejects an AWSCluster whose region is not a string', async () => {
    if (testSandboxOptions.providers.includes('aws')) {
      // CAPA's webhooks served (the AWS profile): mutating admission runs before schema validation, so CAPA's
      // defaulting webhook refuses it first (400), as on AWS.
      const message = await rejection(awsCluster('ec2-bad-region', { region: 42 }), 400);
      assert.match(message, /admission webhook \\?"default\.awscluster\.infrastructure\.cluster\.x-k8s\.io\\?" denied the request: .*spec\.region/);
    } else {
      const message = await rejection(awsCluster('ec2-bad-region', { region: 42 }));
      assert.match(message, /spec\.region/);
    }
  });
});
