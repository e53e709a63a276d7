/** The capi-mcp stack: composes one construct per concern. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { McpApi } from './mcp-api.ts';
import { Workflows } from './workflows.ts';

export interface CapiMcpStackProps extends StackProps {
  /** Named management clusters, as CAPI_MCP_MANAGEMENT_CLUSTERS expects them. */
  readonly managementClusters: readonly unknown[];
  readonly readOnly: boolean;
}

export class CapiMcpStack extends Stack {
  readonly mcpApi: McpApi;
  readonly workflows: Workflows;

  constructor(scope: Construct, id: string, props: CapiMcpStackProps) {
    super(scope, id, props);
    const environment = {
      CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify(props.managementClusters),
      CAPI_MCP_READ_ONLY: String(props.readOnly),
    };
    this.mcpApi = new McpApi(this, 'McpApi', { environment });
    this.workflows = new Workflows(this, 'Workflows', { environment });
    // Least privilege: the function may describe exactly the EKS management clusters it is configured for.
    const eksClusters = props.managementClusters.flatMap((c) => {
      const eks = (c as { eks?: { clusterName: string; region: string } }).eks;
      return eks ? [eks] : [];
    });
    if (eksClusters.length > 0) {
      const describe = new PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: eksClusters.map((e) => Stack.of(this).formatArn({ service: 'eks', region: e.region, resource: 'cluster', resourceName: e.clusterName })),
      });
      for (const fn of [this.mcpApi.function, this.workflows.stepFunction]) fn.addToRolePolicy(describe);
    }
    new CfnOutput(this, 'McpEndpoint', { value: `${this.mcpApi.api.url}mcp`, description: 'MCP Streamable HTTP endpoint' });
  }
}
