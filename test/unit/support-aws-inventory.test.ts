/**
 * test/support/aws-inventory.ts: what a create made and what its delete left behind, from two inventories of an
 * emulated account. moto's leftover network interfaces are excused by the IDs of the gateways and instances the
 * create made, one by one, never by kind: any other interface, or any other kind, is an orphan.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { created, inventoryKinds, leftovers, type Inventory, type InventoryKind, type Resource } from '../support/aws-inventory.ts';

/** An inventory with `resources` and nothing else. */
function inventory(resources: Partial<Record<InventoryKind, readonly Resource[]>> = {}): Inventory {
  return Object.fromEntries(inventoryKinds.map((kind) => [kind, resources[kind] ?? []])) as unknown as Inventory;
}

const id = (id: string, extra: Partial<Resource> = {}): Resource => ({ id, tags: {}, ...extra });

/** The account an emulated cluster's create made and its delete left: a deleted NAT gateway, a terminated instance, their interfaces. */
const before = inventory({ vpcs: [id('vpc-default')], securityGroups: [id('sg-default')], networkInterfaces: [id('eni-old')] });
const afterDelete = (extra: Partial<Record<InventoryKind, Resource[]>> = {}) =>
  inventory({
    vpcs: [id('vpc-default')],
    securityGroups: [id('sg-default')],
    natGateways: [id('nat-1', { record: true, interfaces: ['eni-nat'] })],
    instances: [id('i-1', { record: true })],
    networkInterfaces: [id('eni-old'), id('eni-nat'), id('eni-primary', { attachment: { instanceId: 'i-1', deviceIndex: 0 } }), ...(extra.networkInterfaces ?? [])],
    ...Object.fromEntries(Object.entries(extra).filter(([kind]) => kind !== 'networkInterfaces')),
  });

describe('created', () => {
  it('lists per kind the live resources the second inventory has and the first had not, records of the deleted aside', () => {
    const after = inventory({ vpcs: [id('vpc-default'), id('vpc-new')], instances: [id('i-gone', { record: true })] });
    const made = created(before, after);
    assert.deepEqual(made.vpcs.map((r) => r.id), ['vpc-new']);
    assert.deepEqual(made.instances, []);
  });
});

describe('leftovers', () => {
  it('excuses the network interfaces of a NAT gateway and of an instance the create made, and counts their records', () => {
    const result = leftovers(before, afterDelete());
    assert.deepEqual(result.orphans, []);
    assert.deepEqual(result.lost, []);
    assert.deepEqual(result.motoQuirks.map((q) => q.id).sort(), ['eni-nat', 'eni-primary']);
    assert.deepEqual(result.records, ['natGateways nat-1', 'instances i-1']);
  });

  const orphans: [string, Partial<Record<InventoryKind, Resource[]>>, string][] = [
    ['an interface of nobody', { networkInterfaces: [id('eni-stray')] }, 'networkInterfaces eni-stray'],
    ['a second interface of the terminated instance (not its primary)', { networkInterfaces: [id('eni-second', { attachment: { instanceId: 'i-1', deviceIndex: 1 } })] }, 'networkInterfaces eni-second'],
    ['the interface of an instance still running', { instances: [id('i-1', { record: true }), id('i-2')], networkInterfaces: [id('eni-running', { attachment: { instanceId: 'i-2', deviceIndex: 0 } })] }, 'instances i-2'],
    ['a security group', { securityGroups: [id('sg-default'), id('sg-cluster')] }, 'securityGroups sg-cluster'],
    ['a classic load balancer', { classicLoadBalancers: [id('c1-apiserver')] }, 'classicLoadBalancers c1-apiserver'],
    ['a secret', { secrets: [id('aws.cluster.x-k8s.io/uid-0')] }, 'secrets aws.cluster.x-k8s.io/uid-0'],
  ];
  for (const [what, extra, orphan] of orphans) {
    it(`counts ${what} as an orphan`, () => {
      assert.ok(leftovers(before, afterDelete(extra)).orphans.includes(orphan), JSON.stringify(leftovers(before, afterDelete(extra))));
    });
  }

  it('excuses no interface of a NAT gateway or instance that was already deleted before', () => {
    const had = inventory({ ...before, natGateways: [id('nat-1', { record: true, interfaces: ['eni-nat'] })], instances: [id('i-1', { record: true })] });
    assert.deepEqual([...leftovers(had, afterDelete()).orphans].sort(), ['networkInterfaces eni-nat', 'networkInterfaces eni-primary']);
  });

  it('reports what the first inventory had and the second has not', () => {
    const result = leftovers(before, inventory({ vpcs: [id('vpc-default')], networkInterfaces: [id('eni-old')] }));
    assert.deepEqual(result.lost, ['securityGroups sg-default']);
  });
});
