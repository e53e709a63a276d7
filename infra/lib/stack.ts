/** The capi-mcp stack: composes one construct per concern. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { McpApi } from './mcp-api.ts';

export interface CapiMcpStackProps extends StackProps {
  /** Named management clusters, as CAPI_MCP_MANAGEMENT_CLUSTERS expects them. */
  readonly managementClusters: readonly unknown[];
  readonly readOnly: boolean;
}

export class CapiMcpStack extends Stack {
  readonly mcpApi: McpApi;

  constructor(scope: Construct, id: string, props: CapiMcpStackProps) {
    super(scope, id, props);
    this.mcpApi = new McpApi(this, 'McpApi', {
      environment: {
        CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify(props.managementClusters),
        CAPI_MCP_READ_ONLY: String(props.readOnly),
      },
    });
    new CfnOutput(this, 'McpEndpoint', { value: `${this.mcpApi.api.url}mcp`, description: 'MCP Streamable HTTP endpoint' });
  }
}
