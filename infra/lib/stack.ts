/**
 * The capi-mcp stack: composes one construct per concern — Workflows (the cluster-operation state
 * machine), KeyStore (API keys), McpApi (the endpoint), EksAccess (into the management clusters) and
 * Observability (dashboard and alarms) — and wires them together through grants and environment
 * variables, the only contract between the stack and the code (shared/config).
 */
import { ArnFormat, CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { ManagementClusterConfig } from '../../shared/config/config.ts';
import { isToolApplicable, tools } from '../../shared/mcp/registry.ts';
import { EksAccess } from './eks-access.ts';
import { KeyStore } from './key-store.ts';
import { type CustomDomain, McpApi } from './mcp-api.ts';
import type { VpcPlacement } from './node-function.ts';
import { metricsNamespace, Observability, serviceName } from './observability.ts';
import { Workflows } from './workflows.ts';

/** Powertools log levels the functions accept in POWERTOOLS_LOG_LEVEL. */
export const logLevels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Existing network to place both functions in (private EKS endpoints); imported by id, so synth stays offline. */
export interface VpcSettings {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** What a deployment chooses; infra/lib/context.ts reads it from CDK context. */
export interface CapiMcpSettings {
  /** Named management clusters, as CAPI_MCP_MANAGEMENT_CLUSTERS expects them. */
  readonly managementClusters: readonly ManagementClusterConfig[];
  /** Expose only the read-only tools (and grant only what they need). */
  readonly readOnly: boolean;
  /** Namespaces the tools may touch (CAPI_MCP_ALLOWED_NAMESPACES); default all. */
  readonly allowedNamespaces?: readonly string[];
  /** POWERTOOLS_LOG_LEVEL of both functions; default INFO. */
  readonly logLevel?: LogLevel;
  /** ARN of an existing REGIONAL WAFv2 web ACL for the API stage. */
  readonly webAclArn?: string;
  readonly customDomain?: CustomDomain;
  readonly vpc?: VpcSettings;
  /** Mail alarms to this address. */
  readonly alarmEmail?: string;
  /** Concurrent executions reserved for (and capping) the MCP function; default 20, 0 for none (see McpApi). */
  readonly mcpReservedConcurrency?: number;
}

export interface CapiMcpStackProps extends StackProps, CapiMcpSettings {}

export class CapiMcpStack extends Stack {
  readonly settings: CapiMcpSettings;
  readonly workflows: Workflows;
  readonly keyStore: KeyStore;
  readonly mcpApi: McpApi;
  readonly eksAccess: EksAccess;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: CapiMcpStackProps) {
    super(scope, id, props);
    // An empty list would deploy with no namespace limit at all, the opposite of what setting it asks for.
    if (props.allowedNamespaces?.length === 0) throw new Error('allowedNamespaces is set but names no namespace: leave it out for no limit');
    this.settings = props;
    const vpc = props.vpc ? this.importVpc(props.vpc) : undefined;
    const environment = {
      CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify(props.managementClusters),
      CAPI_MCP_READ_ONLY: String(props.readOnly),
      ...(props.allowedNamespaces?.length ? { CAPI_MCP_ALLOWED_NAMESPACES: props.allowedNamespaces.join(',') } : {}),
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    };

    this.workflows = new Workflows(this, 'Workflows', { environment, ...(vpc ? { vpc } : {}) });
    this.keyStore = new KeyStore(this, 'KeyStore');
    this.mcpApi = new McpApi(this, 'McpApi', {
      environment: {
        ...environment,
        CAPI_MCP_STATE_MACHINE_ARN: this.workflows.stateMachine.stateMachineArn,
        CAPI_MCP_API_KEYS_SECRET_ARN: this.keyStore.secret.secretArn,
      },
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
      ...(props.customDomain ? { customDomain: props.customDomain } : {}),
      ...(vpc ? { vpc } : {}),
      ...(props.mcpReservedConcurrency !== undefined ? { reservedConcurrency: props.mcpReservedConcurrency } : {}),
    });
    const mcpFunction = this.mcpApi.function;
    this.keyStore.grantRead(mcpFunction);
    this.grantOperations();

    this.eksAccess = new EksAccess(this, 'EksAccess', {
      clusters: props.managementClusters.flatMap((c) => ('eks' in c ? [c.eks] : [])),
      roles: { mcp: mcpFunction.role!, workflowStep: this.workflows.stepFunction.role! },
    });

    this.observability = new Observability(this, 'Observability', {
      stage: this.mcpApi.api.deploymentStage,
      mcpFunction: { function: mcpFunction, metricsName: this.mcpApi.functionMetricsName },
      stepFunction: { function: this.workflows.stepFunction, metricsName: this.workflows.stepFunctionMetricsName },
      stateMachine: this.workflows.stateMachine,
      // Gated as the server gates them: a read-only deployment graphs only the tools it serves.
      toolNames: tools.filter((t) => isToolApplicable(t, { readOnly: props.readOnly, disableDestructive: false })).map((t) => t.name),
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });

    new CfnOutput(this, 'McpEndpoint', { value: this.mcpApi.endpoint, description: 'MCP Streamable HTTP endpoint' });
    if (this.mcpApi.domain && !props.customDomain?.hostedZone) {
      new CfnOutput(this, 'McpDomainTarget', { value: this.mcpApi.domain.domainNameAliasDomainName, description: `CNAME or alias target for ${props.customDomain!.domainName}` });
    }
    new CfnOutput(this, 'ApiKeysSecretArn', { value: this.keyStore.secret.secretArn, description: 'The API key store: npm run keys -- <command> --secret-arn <this>' });
    new CfnOutput(this, 'DashboardUrl', { value: this.observability.dashboardUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn, description: 'Subscribe to receive the alarms' });
  }

  /**
   * The MCP function follows operations (describe, history, list) and, unless read-only, starts and
   * stops them: on this state machine and its executions only.
   */
  private grantOperations(): void {
    const { stateMachine } = this.workflows;
    const executions = this.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const write = !this.settings.readOnly;
    const role = this.mcpApi.function;
    role.addToRolePolicy(
      new PolicyStatement({ actions: ['states:ListExecutions', ...(write ? ['states:StartExecution'] : [])], resources: [stateMachine.stateMachineArn] }),
    );
    role.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory', ...(write ? ['states:StopExecution'] : [])],
        resources: [executions],
      }),
    );
  }

  private importVpc(settings: VpcSettings): VpcPlacement {
    // Note: imported from ids, never looked up (Vpc.fromLookup), so synth needs no AWS credentials. The
    // functions name their subnets; CDK asks the VPC only for its public subnets (none known here), so
    // its zones can stay the region's, resolved at deploy time.
    return {
      vpc: Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: settings.vpcId, availabilityZones: Fn.getAzs() }),
      subnets: settings.subnetIds.map((id, i) => Subnet.fromSubnetId(this, `Subnet${i}`, id)),
      securityGroups: settings.securityGroupIds.map((id, i) => SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id, { mutable: false })),
    };
  }
}
