/**
 * McpApi: the public MCP endpoint. A regional API Gateway REST API proxies every request to the MCP
 * Lambda (functions/mcp/handler.ts, bundled by esbuild — no Docker).
 *
 * Note: REST API rather than HTTP API because only REST APIs associate with AWS WAF directly and offer
 * per-stage method throttling; the Lambda accepts both payload versions, so the choice stays reversible.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat, EndpointType, LambdaRestApi, LogGroupLogDestination, MethodLoggingLevel } from 'aws-cdk-lib/aws-apigateway';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { capiMcpFunction } from './node-function.ts';

export interface McpApiProps {
  /** Environment of the function: the contract between the stack and shared/config. */
  readonly environment: Readonly<Record<string, string>>;
  /** Steady-state requests per second per stage (default 50) and burst (default 100). */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

export class McpApi extends Construct {
  readonly function: NodejsFunction;
  readonly api: LambdaRestApi;

  constructor(scope: Construct, id: string, props: McpApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };

    this.function = capiMcpFunction(this, 'Function', {
      name: 'mcp',
      memorySize: 1024,
      timeout: Duration.seconds(29), // API Gateway's integration timeout
      environment: props.environment,
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.api = new LambdaRestApi(this, 'Api', {
      handler: this.function,
      proxy: true,
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
  }
}
