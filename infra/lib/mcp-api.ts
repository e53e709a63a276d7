/**
 * McpApi: the public MCP endpoint. A regional API Gateway REST API proxies every request to the MCP
 * Lambda (functions/mcp/handler.ts, bundled by esbuild — no Docker), optionally behind an AWS WAF web ACL
 * and a custom domain.
 *
 * Note: REST API rather than HTTP API because only REST APIs associate with AWS WAF directly and offer
 * per-stage method throttling; the Lambda accepts both payload versions, so the choice stays reversible.
 * Authentication happens inside the function (API keys, shared/auth/), not in API Gateway: MCP clients
 * send `Authorization: Bearer <key>` and expect the server's own 401 answer.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  DomainName,
  EndpointType,
  LambdaRestApi,
  LogGroupLogDestination,
  MethodLoggingLevel,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayDomain } from 'aws-cdk-lib/aws-route53-targets';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { capiMcpFunction, metricsFunctionName, type VpcPlacement } from './node-function.ts';

/**
 * Concurrent executions reserved for the MCP function unless a deployment chooses otherwise.
 *
 * Note: the reservation is also a ceiling. A caller who keeps requests slow (a large body, a cluster that
 * answers late) then occupies at most these executions, not the account's shared pool — which the
 * workflow steps and every other function in the account draw from. 20 executions serve ~400 calls per
 * second at the usual 50 ms, well above the stage's throttling (50 per second, bursts of 100).
 */
export const defaultMcpReservedConcurrency = 20;

/** A custom domain for the endpoint; the ACM certificate must be in the stack's region (regional endpoint). */
export interface CustomDomain {
  readonly domainName: string;
  readonly certificateArn: string;
  /** A Route 53 public zone to publish an alias record in; without it, point DNS at the `McpDomainTarget` output yourself. */
  readonly hostedZone?: { readonly id: string; readonly name: string };
}

export interface McpApiProps {
  /** Environment of the function: the contract between the stack and shared/config. */
  readonly environment: Readonly<Record<string, string>>;
  /** Steady-state requests per second per stage (default 50) and burst (default 100). */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** ARN of an existing REGIONAL WAFv2 web ACL to associate with the stage. */
  readonly webAclArn?: string;
  readonly customDomain?: CustomDomain;
  readonly vpc?: VpcPlacement;
  /**
   * Concurrent executions reserved for (and capping) the function; default `defaultMcpReservedConcurrency`.
   * 0 reserves none: the function then draws on the account's unreserved pool, without a ceiling of its
   * own (Lambda's own 0, which would stop the function, is never set).
   */
  readonly reservedConcurrency?: number;
}

export class McpApi extends Construct {
  readonly function: NodejsFunction;
  /** The `function_name` of the function's ColdStart metric. */
  readonly functionMetricsName: string;
  readonly api: LambdaRestApi;
  readonly domain?: DomainName;
  /** The MCP Streamable HTTP endpoint: the custom domain's when there is one. */
  readonly endpoint: string;

  constructor(scope: Construct, id: string, props: McpApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    const reserved = props.reservedConcurrency ?? defaultMcpReservedConcurrency;

    this.functionMetricsName = metricsFunctionName(this, 'mcp');
    this.function = capiMcpFunction(this, 'Function', {
      name: 'mcp',
      memorySize: 1024,
      timeout: Duration.seconds(29), // API Gateway's integration timeout
      environment: props.environment,
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(reserved > 0 ? { reservedConcurrentExecutions: reserved } : {}),
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new LambdaRestApi(this, 'Api', {
      handler: this.function,
      proxy: true,
      // Note: named after the stack so that the ApiName metric dimension (dashboard, alarms) is this API's alone.
      restApiName: Stack.of(this).stackName,
      endpointTypes: [EndpointType.REGIONAL],
      description: 'capi-mcp: Model Context Protocol endpoint for Cluster API',
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    this.endpoint = `${this.api.url}mcp`;

    if (props.webAclArn) {
      const association = new CfnWebACLAssociation(this, 'WebAcl', { resourceArn: this.api.deploymentStage.stageArn, webAclArn: props.webAclArn });
      // The stage ARN is formatted from names, not referenced, so CloudFormation would not otherwise wait for the stage.
      association.node.addDependency(this.api.deploymentStage);
    }

    if (props.customDomain) {
      const { domainName, certificateArn, hostedZone } = props.customDomain;
      this.domain = this.api.addDomainName('Domain', {
        domainName,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      this.endpoint = `https://${domainName}/mcp`;
      if (hostedZone) {
        new ARecord(this, 'DomainRecord', {
          zone: HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: hostedZone.id, zoneName: hostedZone.name }),
          recordName: domainName,
          target: RecordTarget.fromAlias(new ApiGatewayDomain(this.domain)),
        });
      }
    }
  }
}
