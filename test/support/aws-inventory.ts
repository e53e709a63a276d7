/**
 * An inventory of one region of the test sandbox's emulated AWS account (the AWS profile's moto), read with
 * the AWS SDK v3 as any AWS client reads an account, and the comparison of two inventories that tells what a
 * create made and whether a delete left anything behind.
 *
 * Records AWS itself keeps listing for a while after a delete — terminated instances, deleted NAT gateways —
 * are kept apart from the live resources. moto 5.2.5 also leaves two kinds of network interface behind that AWS
 * deletes (sandbox/aws.ts, deploy/clusterclasses/README.md): a NAT gateway's, and the primary one of a terminated
 * instance. {@link leftovers} excuses exactly those, found by the IDs in the records of the gateways and instances
 * the create made, never a kind wholesale.
 */
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand as DescribeClassicLoadBalancersCommand, DescribeTagsCommand, ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';

export const inventoryKinds = [
  'vpcs',
  'subnets',
  'internetGateways',
  'natGateways',
  'elasticIps',
  'routeTables',
  'securityGroups',
  'instances',
  'volumes',
  'networkInterfaces',
  'classicLoadBalancers',
  'loadBalancers',
  'targetGroups',
  'secrets',
  'parameters',
] as const;
export type InventoryKind = (typeof inventoryKinds)[number];

export interface Resource {
  readonly id: string;
  readonly tags: Readonly<Record<string, string>>;
  /** A record AWS keeps listing after the delete: a terminated instance, a deleted NAT gateway. */
  readonly record?: boolean;
  /** A NAT gateway's network interfaces. */
  readonly interfaces?: readonly string[];
  /** A network interface's attachment. */
  readonly attachment?: { readonly instanceId: string; readonly deviceIndex: number };
}

export type Inventory = Readonly<Record<InventoryKind, readonly Resource[]>>;

const tagsOf = (tags: readonly Tag[] | undefined): Record<string, string> => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** Everything of `inventoryKinds` in `region` of the account behind `endpoint`. */
export async function readInventory(endpoint: string, region: string): Promise<Inventory> {
  const config = { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const ec2 = new EC2Client(config);
  const elb = new ElasticLoadBalancingClient(config);
  const elbv2 = new ElasticLoadBalancingV2Client(config);
  const secretsManager = new SecretsManagerClient(config);
  const ssm = new SSMClient(config);
  try {
    const [vpcs, subnets, igws, nats, eips, rts, sgs, reservations, volumes, enis, classic, lbs, tgs, secrets, parameters] = await Promise.all([
      ec2.send(new DescribeVpcsCommand({})),
      ec2.send(new DescribeSubnetsCommand({})),
      ec2.send(new DescribeInternetGatewaysCommand({})),
      ec2.send(new DescribeNatGatewaysCommand({})),
      ec2.send(new DescribeAddressesCommand({})),
      ec2.send(new DescribeRouteTablesCommand({})),
      ec2.send(new DescribeSecurityGroupsCommand({})),
      ec2.send(new DescribeInstancesCommand({})),
      ec2.send(new DescribeVolumesCommand({})),
      ec2.send(new DescribeNetworkInterfacesCommand({})),
      elb.send(new DescribeClassicLoadBalancersCommand({})),
      elbv2.send(new DescribeLoadBalancersCommand({})),
      elbv2.send(new DescribeTargetGroupsCommand({})),
      allPages((NextToken) => secretsManager.send(new ListSecretsCommand({ NextToken })), (page) => page.SecretList ?? []),
      allPages((NextToken) => ssm.send(new DescribeParametersCommand({ NextToken })), (page) => page.Parameters ?? []),
    ]);
    const classicNames = (classic.LoadBalancerDescriptions ?? []).map((lb) => lb.LoadBalancerName!);
    const classicTags = classicNames.length > 0 ? (await elb.send(new DescribeTagsCommand({ LoadBalancerNames: classicNames }))).TagDescriptions ?? [] : [];
    return {
      vpcs: (vpcs.Vpcs ?? []).map((v) => ({ id: v.VpcId!, tags: tagsOf(v.Tags) })),
      subnets: (subnets.Subnets ?? []).map((s) => ({ id: s.SubnetId!, tags: tagsOf(s.Tags) })),
      internetGateways: (igws.InternetGateways ?? []).map((g) => ({ id: g.InternetGatewayId!, tags: tagsOf(g.Tags) })),
      natGateways: (nats.NatGateways ?? []).map((g) => ({
        id: g.NatGatewayId!,
        tags: tagsOf(g.Tags),
        record: g.State === 'deleted',
        interfaces: (g.NatGatewayAddresses ?? []).map((a) => a.NetworkInterfaceId!).filter(Boolean),
      })),
      elasticIps: (eips.Addresses ?? []).map((a) => ({ id: a.AllocationId!, tags: tagsOf(a.Tags) })),
      routeTables: (rts.RouteTables ?? []).map((r) => ({ id: r.RouteTableId!, tags: tagsOf(r.Tags) })),
      securityGroups: (sgs.SecurityGroups ?? []).map((g) => ({ id: g.GroupId!, tags: tagsOf(g.Tags) })),
      instances: (reservations.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ({ id: i.InstanceId!, tags: tagsOf(i.Tags), record: i.State?.Name === 'terminated' })),
      volumes: (volumes.Volumes ?? []).map((v) => ({ id: v.VolumeId!, tags: tagsOf(v.Tags) })),
      networkInterfaces: (enis.NetworkInterfaces ?? []).map((n) => ({
        id: n.NetworkInterfaceId!,
        tags: tagsOf(n.TagSet),
        ...(n.Attachment?.InstanceId ? { attachment: { instanceId: n.Attachment.InstanceId, deviceIndex: n.Attachment.DeviceIndex ?? -1 } } : {}),
      })),
      classicLoadBalancers: classicNames.map((name) => ({ id: name, tags: tagsOf(classicTags.find((d) => d.LoadBalancerName === name)?.Tags) })),
      loadBalancers: (lbs.LoadBalancers ?? []).map((lb) => ({ id: lb.LoadBalancerArn!, tags: {} })),
      targetGroups: (tgs.TargetGroups ?? []).map((tg) => ({ id: tg.TargetGroupArn!, tags: {} })),
      secrets: secrets.map((s) => ({ id: s.Name!, tags: tagsOf(s.Tags) })),
      parameters: parameters.map((p) => ({ id: p.Name!, tags: {} })),
    };
  } finally {
    for (const client of [ec2, elb, elbv2, secretsManager, ssm]) client.destroy();
  }
}

async function allPages<P extends { NextToken?: string }, T>(page: (token: string | undefined) => Promise<P>, items: (page: P) => readonly T[]): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const next = await page(token);
    out.push(...items(next));
    token = next.NextToken;
  } while (token);
  return out;
}

const liveIds = (resources: readonly Resource[]) => new Set(resources.filter((r) => !r.record).map((r) => r.id));

/** Per kind, the live resources of `after` that `before` did not have (what a create made). */
export function created(before: Inventory, after: Inventory): Record<InventoryKind, Resource[]> {
  return Object.fromEntries(
    inventoryKinds.map((kind) => {
      const had = liveIds(before[kind]);
      return [kind, after[kind].filter((r) => !r.record && !had.has(r.id))];
    }),
  ) as Record<InventoryKind, Resource[]>;
}

/** Per kind, the live resources of `before` that `after` no longer has (what a delete removed). */
export function removed(before: Inventory, after: Inventory): Record<InventoryKind, Resource[]> {
  return created(after, before);
}

export interface Leftovers {
  /** What `after` has and `before` had not, unexplained: orphans. */
  readonly orphans: readonly string[];
  /** What `before` had and `after` has not: resources someone deleted that were not the create's. */
  readonly lost: readonly string[];
  /** moto's own leftovers, each with why it is one. */
  readonly motoQuirks: readonly { readonly id: string; readonly why: string }[];
  /** The records of the deleted (terminated instances, deleted NAT gateways) that `after` lists and `before` did not. */
  readonly records: readonly string[];
}

/**
 * What a create and its delete left behind in an account: `after` against `before`. A network interface is
 * excused only when it is one moto keeps of a NAT gateway or an instance whose deleted record `after` lists
 * and `before` did not — that is, the gateways and instances made since `before`.
 */
export function leftovers(before: Inventory, after: Inventory): Leftovers {
  const newRecords = (kind: 'natGateways' | 'instances') => {
    const had = new Set(before[kind].map((r) => r.id));
    return after[kind].filter((r) => r.record && !had.has(r.id));
  };
  const deletedNats = newRecords('natGateways');
  const terminated = new Set(newRecords('instances').map((r) => r.id));
  const natInterfaces = new Map(deletedNats.flatMap((g) => (g.interfaces ?? []).map((id) => [id, g.id] as const)));
  const motoQuirks: { id: string; why: string }[] = [];
  const orphans: string[] = [];
  const made = created(before, after);
  for (const kind of inventoryKinds) {
    for (const r of made[kind]) {
      const nat = kind === 'networkInterfaces' ? natInterfaces.get(r.id) : undefined;
      if (nat) motoQuirks.push({ id: r.id, why: `the network interface of deleted NAT gateway ${nat}` });
      else if (kind === 'networkInterfaces' && r.attachment && terminated.has(r.attachment.instanceId) && r.attachment.deviceIndex === 0) {
        motoQuirks.push({ id: r.id, why: `the primary network interface of terminated instance ${r.attachment.instanceId}` });
      } else orphans.push(`${kind} ${r.id}`);
    }
  }
  const gone = removed(before, after);
  return {
    orphans,
    lost: inventoryKinds.flatMap((kind) => gone[kind].map((r) => `${kind} ${r.id}`)),
    motoQuirks,
    records: [...deletedNats.map((g) => `natGateways ${g.id}`), ...[...terminated].map((id) => `instances ${id}`)],
  };
}

/** Per kind, how many: for diagnostics. */
export function counts(resources: Record<InventoryKind, readonly unknown[]>): Record<InventoryKind, number> {
  return Object.fromEntries(inventoryKinds.map((kind) => [kind, resources[kind].length])) as Record<InventoryKind, number>;
}

/** What `made` holds, kind by kind, for a test's diagnostics: "vpcs 1, subnets 6, …" (kinds with none left out). */
export function perKind(made: Readonly<Record<InventoryKind, readonly Resource[]>>): string {
  return Object.entries(counts(made))
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
}
