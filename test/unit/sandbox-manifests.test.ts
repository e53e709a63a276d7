/** Pure rewrites of upstream manifests and patches that point the sandbox at loopback managers. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { servingStorageVersionOnly, wireAdmission, wireConversion, withVmStartup } from '../../sandbox/manifests.ts';
import { applyPatch } from '../../sandbox/build.ts';
import { parsePortBase, sandboxPorts } from '../../sandbox/layout.ts';

const endpoint = { baseUrl: 'https://127.0.0.1:9443', caBundle: 'Q0E=' };

const crdWithConversion = () => ({
  kind: 'CustomResourceDefinition',
  metadata: { name: 'clusters.cluster.x-k8s.io' },
  spec: {
    group: 'cluster.x-k8s.io',
    conversion: {
      strategy: 'Webhook',
      webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { name: 'webhook-service', namespace: 'system', path: '/convert' } } },
    },
  },
});

describe('wireConversion', () => {
  it('points a conversion webhook at the manager URL with the CA bundle', () => {
    const crd = wireConversion(crdWithConversion(), endpoint);
    assert.deepEqual(crd.spec.conversion, {
      strategy: 'Webhook',
      webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://127.0.0.1:9443/convert', caBundle: 'Q0E=' } },
    });
  });

  it('drops the conversion stanza when no manager serves the provider', () => {
    const crd = wireConversion(crdWithConversion(), undefined);
    assert.equal(crd.spec.conversion, undefined);
    assert.equal(crd.spec.group, 'cluster.x-k8s.io');
  });

  it('leaves a CRD without a conversion webhook as it is', () => {
    const crd = { kind: 'CustomResourceDefinition', spec: { group: 'x' } };
    assert.equal(wireConversion(crd, endpoint), crd);
  });

  it('does not modify its input', () => {
    const input = crdWithConversion();
    wireConversion(input, endpoint);
    assert.deepEqual(input, crdWithConversion());
  });
});

describe('wireAdmission', () => {
  const config = (kind: string) => ({
    kind,
    metadata: { name: 'mutating-webhook-configuration' },
    webhooks: [
      { name: 'a.cluster.x-k8s.io', clientConfig: { service: { name: 's', namespace: 'system', path: '/mutate-a' } } },
      { name: 'b.cluster.x-k8s.io', clientConfig: { service: { name: 's', namespace: 'system', path: '/mutate-b' } } },
    ],
  });

  for (const [kind, suffix] of [
    ['MutatingWebhookConfiguration', 'mutating'],
    ['ValidatingWebhookConfiguration', 'validating'],
  ] as const) {
    it(`names a ${kind} after the provider so providers do not overwrite each other`, () => {
      assert.equal(wireAdmission(config(kind), 'in-memory', endpoint).metadata.name, `capi-mcp-sandbox-in-memory-${suffix}`);
    });
  }

  it('points every webhook at its path on the manager', () => {
    const wired = wireAdmission(config('MutatingWebhookConfiguration'), 'core', endpoint);
    assert.deepEqual(
      wired.webhooks.map((w: any) => w.clientConfig),
      [
        { url: 'https://127.0.0.1:9443/mutate-a', caBundle: 'Q0E=' },
        { url: 'https://127.0.0.1:9443/mutate-b', caBundle: 'Q0E=' },
      ],
    );
  });

  it('refuses a webhook without a service path', () => {
    const bad = { kind: 'ValidatingWebhookConfiguration', metadata: { name: 'x' }, webhooks: [{ name: 'w', clientConfig: {} }] };
    assert.throws(() => wireAdmission(bad, 'core', endpoint), /webhook w of core has no service path/);
  });
});

describe('applyPatch', () => {
  const patch = (count: number) => ({ module: 'm', file: 'f.go', addedFiles: [], replacements: [{ from: 'A', to: 'B', count }] });

  it('replaces each expected occurrence', () => {
    assert.equal(applyPatch('xAyAz', patch(2)), 'xByBz');
  });

  it('fails when upstream has fewer occurrences than the patch expects', () => {
    assert.throws(() => applyPatch('xAy', patch(2)), /expects 2 × "A", found 1/);
  });

  it('fails when upstream has more occurrences than the patch expects', () => {
    assert.throws(() => applyPatch('AAA', patch(1)), /expects 1 × "A", found 3/);
  });
});

describe('sandbox ports', () => {
  it('gives every manager three distinct ports inside the block', () => {
    const ports = sandboxPorts(16000, ['a', 'b', 'c', 'd']);
    const all = [ports.apiServer, ports.etcdClient, ports.etcdPeer, ports.controllerManager, ports.inMemory.debug];
    for (const m of Object.values(ports.managers)) all.push(m.webhook, m.health, m.diagnostics);
    assert.equal(new Set(all).size, all.length);
    assert.ok(all.every((p) => p >= 16000 && p < ports.inMemory.min));
    assert.equal(ports.inMemory.max, 20999);
  });

  for (const [value, ok] of [
    ['16000', true],
    ['27768', true],
    ['27769', false],
    ['80', false],
    ['16000.5', false],
    ['abc', false],
  ] as const) {
    it(`${ok ? 'accepts' : 'rejects'} port base "${value}"`, () => {
      if (ok) assert.equal(parsePortBase(value), Number(value));
      else assert.throws(() => parsePortBase(value), /port base must be an integer from 1024 to 27768/);
    });
  }
});

describe('withVmStartup', () => {
  const template = (name: string) => ({
    apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2',
    kind: 'DevMachineTemplate',
    metadata: { name },
    spec: { template: { spec: { backend: { inMemory: { vm: { provisioning: { startupDuration: '10s', startupJitter: '0.2' } }, node: { provisioning: { startupDuration: '2s' } } } } } } },
  });

  it("sets every DevMachineTemplate's VM boot and nothing else, leaving the upstream manifests untouched", () => {
    const upstream = [template('cp'), { kind: 'ClusterClass', metadata: { name: 'in-memory' }, spec: { vm: { provisioning: { startupDuration: '10s' } } } }, template('md')];
    const before = structuredClone(upstream);
    const fast = withVmStartup(upstream, 2);
    assert.deepEqual(fast.map((m) => m.spec.template?.spec.backend.inMemory.vm.provisioning), [{ startupDuration: '2s', startupJitter: '0.2' }, undefined, { startupDuration: '2s', startupJitter: '0.2' }]);
    assert.deepEqual(fast[0]!.spec.template.spec.backend.inMemory.node, { provisioning: { startupDuration: '2s' } });
    assert.equal(fast[1], upstream[1]);
    assert.deepEqual(upstream, before);
  });

  it('leaves a DevMachineTemplate of another backend as it is', () => {
    const docker = { kind: 'DevMachineTemplate', spec: { template: { spec: { backend: { docker: {} } } } } };
    assert.equal(withVmStartup([docker], 2)[0], docker);
  });
});

describe('servingStorageVersionOnly', () => {
  const crd = () => ({
    kind: 'CustomResourceDefinition',
    spec: { group: 'cluster.x-k8s.io', versions: [{ name: 'v1beta1', served: true, storage: false, deprecated: true }, { name: 'v1beta2', served: true, storage: true }] },
  });

  it('stops serving every version but the storage one, keeping each version (and its schema) in the CRD', () => {
    assert.deepEqual(servingStorageVersionOnly(crd()).spec.versions, [
      { name: 'v1beta1', served: false, storage: false, deprecated: true },
      { name: 'v1beta2', served: true, storage: true },
    ]);
  });

  it('does not modify its input', () => {
    const input = crd();
    servingStorageVersionOnly(input);
    assert.deepEqual(input, crd());
  });
});
