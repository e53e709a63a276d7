/**
 * Every cdk-nag (AwsSolutions) finding this stack accepts, each on the narrowest construct that raises
 * it and with the reason it is right here. Everything else the checks raise is fixed in the constructs.
 * The app applies the list next to the checks (infra/bin/app.ts); test/infra/nag.test.ts prints it and
 * fails on a finding it does not cover and on an entry that covers no finding.
 *
 * Acknowledged through aws-cdk-lib's `Validations.of(scope).acknowledge`, which cdk-nag v3 reads; a
 * finding about one resource of a statement (`AwsSolutions-IAM5[Resource::…]`) is acknowledged by its
 * exact finding id, so a new wildcard elsewhere in the same policy still fails.
 */
import { Token, Validations } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { CapiMcpStack } from './stack.ts';

export interface NagSuppression {
  readonly scope: IConstruct;
  readonly id: string;
  readonly reason: string;
}

export function nagSuppressions(stack: CapiMcpStack): NagSuppression[] {
  const { api } = stack.mcpApi;
  const functions = [stack.mcpApi.function, stack.workflows.stepFunction];
  const defaultPolicy = (role: IRole | undefined) => role!.node.findChild('DefaultPolicy');
  const tokenOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as never);
  // How cdk-nag prints a pseudo parameter in a finding id: the value once the stack's environment is known.
  const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
  const executionsArn = `arn:${pseudo(stack.partition, 'Partition')}:states:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}:execution:<${tokenOf(stack.workflows.stateMachine)}.Name>:*`;
  const lambdaVpcPolicy = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]';

  return [
    {
      scope: api.node.defaultChild!,
      id: 'AwsSolutions-APIG2',
      reason:
        'The body is JSON-RPC, validated by the MCP server (envelope, then each tool’s zod schema) so that a malformed request gets a JSON-RPC error an MCP client understands; an API Gateway model would answer a bare 400.',
    },
    ...api.methods.flatMap((method) => [
      {
        scope: method,
        id: 'AwsSolutions-APIG4',
        reason: 'Authorization is done by the MCP function itself: API keys (Bearer) verified against the KeyStore secret, with per-key scopes and namespaces; MCP clients expect the server’s own 401.',
      },
      {
        scope: method,
        id: 'AwsSolutions-COG4',
        reason: 'Callers are AI agents holding capi-mcp API keys, not Cognito users; the MCP function authenticates them (see APIG4).',
      },
    ]),
    {
      scope: api.node.findChild('CloudWatchRole'),
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'API Gateway execution logging needs the account-wide API Gateway CloudWatch role; it serves every REST API of the account and region, so it takes the AWS-maintained policy rather than one scoped to this API.',
    },
    ...(stack.settings.webAclArn
      ? []
      : [
          {
            scope: api.deploymentStage.node.defaultChild!,
            id: 'AwsSolutions-APIG3',
            reason: 'WAF is opt-in (context capi-mcp:webAclArn associates an existing regional web ACL); without it the stage is still throttled and every request needs an API key.',
          },
        ]),
    ...functions.map((fn) => ({
      scope: defaultPolicy(fn.role),
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. The function’s other statements name their resources (asserted in stack.test.ts).',
    })),
    ...(stack.settings.vpc
      ? functions.map((fn) => ({
          scope: fn.role!,
          id: lambdaVpcPolicy,
          reason: 'Lambda in a VPC manages its network interfaces with EC2 actions that take no resource-level scoping; AWS maintains that action list in this policy.',
        }))
      : []),
    {
      scope: defaultPolicy(stack.workflows.stateMachine.role),
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The state machine’s X-Ray tracing (xray:Put*, xray:GetSampling*) and CloudWatch Logs delivery (logs:*LogDelivery*, logs:*ResourcePolic*, logs:DescribeLogGroups) support no resource-level permissions.',
    },
    {
      scope: defaultPolicy(stack.workflows.stateMachine.role),
      id: `AwsSolutions-IAM5[Resource::<${tokenOf(stack.workflows.stepFunction)}.Arn>:*]`,
      reason: 'Invoking the one step function, including its qualified versions and aliases (the LambdaInvoke task grant).',
    },
    {
      scope: defaultPolicy(stack.mcpApi.function.role),
      id: `AwsSolutions-IAM5[Resource::${executionsArn}]`,
      reason: 'Executions of the one cluster-operation state machine, whose names are operation ids not known at deploy time (DescribeExecution, GetExecutionHistory and, unless read-only, StopExecution).',
    },
    {
      scope: stack.keyStore.secret,
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds only hashes of the keys (SHA-256 of 256-bit secrets); API keys rotate one at a time (npm run keys -- rotate <id>), which needs no Secrets Manager rotation. KeyStore takes a rotation function when one is wanted.',
    },
  ];
}

export function acknowledgeNagFindings(stack: CapiMcpStack): void {
  for (const { scope, id, reason } of nagSuppressions(stack)) Validations.of(scope).acknowledge({ id, reason });
}
