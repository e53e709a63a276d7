/**
 * EksAccess: lets the functions into the configured EKS management clusters. Two halves: IAM
 * (`eks:DescribeCluster` on exactly those clusters, for the endpoint and CA the presigned-token client
 * needs) and Kubernetes (an EKS access entry per cluster and role, putting the role in the Kubernetes
 * group `capi-mcp`).
 *
 * Note: a Kubernetes group rather than an access policy association. We ship our own least-privilege
 * ClusterRoles bound to that group (deploy/rbac/); the AmazonEKS*Policy access policies are far broader
 * (AmazonEKSEditPolicy edits every namespaced resource, AmazonEKSClusterAdminPolicy everything), so
 * binding one would quietly widen what a leaked function credential can do.
 *
 * The clusters must use the EKS access-entry API (authentication mode API or API_AND_CONFIG_MAP) and be
 * in the stack's region: an access entry is a resource of the cluster's region, which CloudFormation
 * reaches only there. For a cluster elsewhere the synth warns and leaves the entry to the operator.
 */
import { Annotations, Stack, Token } from 'aws-cdk-lib';
import { CfnAccessEntry } from 'aws-cdk-lib/aws-eks';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The Kubernetes group the function roles join; deploy/rbac/ binds the capi-mcp ClusterRoles to it. */
export const kubernetesGroup = 'capi-mcp';

export interface EksCluster {
  readonly clusterName: string;
  readonly region: string;
}

export interface EksAccessProps {
  readonly clusters: readonly EksCluster[];
  /** The roles that reach the clusters, by a short name used in construct ids. */
  readonly roles: Readonly<Record<string, IRole>>;
}

export class EksAccess extends Construct {
  readonly accessEntries: readonly CfnAccessEntry[];

  constructor(scope: Construct, id: string, props: EksAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const roles = Object.entries(props.roles);
    if (props.clusters.length > 0) {
      const describe = new PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: props.clusters.map((c) => stack.formatArn({ service: 'eks', region: c.region, resource: 'cluster', resourceName: c.clusterName })),
      });
      for (const [, role] of roles) role.addToPrincipalPolicy(describe);
    }

    const entries: CfnAccessEntry[] = [];
    for (const cluster of props.clusters) {
      if (!Token.isUnresolved(stack.region) && cluster.region !== stack.region) {
        Annotations.of(this).addWarningV2(
          'capi-mcp:eksAccessEntryOtherRegion',
          `EKS cluster ${cluster.clusterName} is in ${cluster.region}, not ${stack.region}: create its access entries yourself ` +
            `(aws eks create-access-entry --region ${cluster.region} --cluster-name ${cluster.clusterName} --principal-arn <role ARN> --kubernetes-groups ${kubernetesGroup})`,
        );
        continue;
      }
      for (const [name, role] of roles) {
        entries.push(
          new CfnAccessEntry(this, `${name}-${cluster.clusterName}`, {
            clusterName: cluster.clusterName,
            principalArn: role.roleArn,
            type: 'STANDARD',
            kubernetesGroups: [kubernetesGroup],
          }),
        );
      }
    }
    this.accessEntries = entries;
  }
}
