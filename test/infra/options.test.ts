/**
 * What each deployment option adds to the template — and that nothing of it appears when the option is
 * not set: WAF, custom domain, VPC placement, read-only, namespaces and log level, the MCP function's
 * reserved concurrency, and EKS clusters in another region.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { actionsOf, eksCluster, fullSettings, logicalId, minimalSettings, roleStatements, synth } from './stacks.ts';

const minimal = synth(minimalSettings);
const full = synth(fullSettings);
const vpcPolicy = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] };

describe('AWS WAF', () => {
  it('is not associated unless a web ACL is configured', () => {
    minimal.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it('associates the configured web ACL with the API stage, once the stage exists', () => {
    const { stack, template } = full;
    const stage = logicalId(stack.mcpApi.api.deploymentStage);
    const [association] = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation')) as any[];
    assert.equal(association.Properties.WebACLArn, fullSettings.webAclArn);
    assert.deepEqual(association.Properties.ResourceArn, {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, '::/restapis/', { Ref: logicalId(stack.mcpApi.api) }, '/stages/', { Ref: stage }]],
    });
    assert.ok(association.DependsOn.includes(stage));
  });
});

describe('a custom domain', () => {
  it('is absent unless configured, and the endpoint is the execute-api URL', () => {
    for (const type of ['AWS::ApiGateway::DomainName', 'AWS::ApiGateway::BasePathMapping', 'AWS::Route53::RecordSet']) minimal.template.resourceCountIs(type, 0);
    minimal.template.hasOutput('McpEndpoint', { Value: { 'Fn::Join': ['', Match.arrayWith(['.execute-api.'])] } });
  });

  it('serves the stage on the domain with the given certificate, TLS 1.2 and a Route 53 alias', () => {
    const { stack, template } = full;
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'mcp.example.com',
      RegionalCertificateArn: fullSettings.customDomain!.certificateArn,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { Stage: { Ref: logicalId(stack.mcpApi.api.deploymentStage) } });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'mcp.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: Match.objectLike({ DNSName: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] } }),
    });
    template.hasOutput('McpEndpoint', { Value: 'https://mcp.example.com/mcp' });
    assert.deepEqual(template.findOutputs('McpDomainTarget'), {});
  });

  it('without a hosted zone, outputs the target for the operator’s own DNS record', () => {
    const { template } = synth({ ...fullSettings, customDomain: { domainName: 'mcp.example.com', certificateArn: fullSettings.customDomain!.certificateArn } });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    template.hasOutput('McpDomainTarget', { Value: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] } });
  });
});

describe('VPC placement', () => {
  it('is absent unless configured', () => {
    for (const fn of Object.values(minimal.template.findResources('AWS::Lambda::Function')) as any[]) assert.equal(fn.Properties.VpcConfig, undefined);
    for (const role of Object.values(minimal.template.findResources('AWS::IAM::Role')) as any[]) {
      assert.ok(!JSON.stringify(role.Properties.ManagedPolicyArns ?? []).includes('VPCAccess'));
    }
  });

  it('puts both functions in the configured subnets and security group, imported without a lookup', () => {
    const functions = Object.values(full.template.findResources('AWS::Lambda::Function')) as any[];
    assert.equal(functions.length, 2);
    for (const fn of functions) {
      assert.deepEqual(fn.Properties.VpcConfig, { SubnetIds: fullSettings.vpc!.subnetIds, SecurityGroupIds: fullSettings.vpc!.securityGroupIds });
    }
    full.template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    // A lookup (Vpc.fromLookup) would leave missing context for the CLI to fetch with credentials.
    assert.equal(full.app.synth().manifest.missing, undefined);
  });

  it('lets the function roles manage their network interfaces', () => {
    const { stack, template } = full;
    for (const fn of [stack.mcpApi.function, stack.workflows.stepFunction]) {
      assert.deepEqual(template.toJSON().Resources[logicalId(fn.role!)].Properties.ManagedPolicyArns, [vpcPolicy]);
    }
  });
});

describe('read-only', () => {
  it('leaves the MCP function following operations, never starting or stopping one', () => {
    const { stack, template } = minimal;
    const states = roleStatements(template, logicalId(stack.mcpApi.function.role!)).filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    assert.deepEqual(states.map(actionsOf), [['states:ListExecutions'], ['states:DescribeExecution', 'states:GetExecutionHistory']]);
  });

  it('is passed to both functions', () => {
    for (const fn of Object.values(minimal.template.findResources('AWS::Lambda::Function')) as any[]) {
      assert.equal(fn.Properties.Environment.Variables.CAPI_MCP_READ_ONLY, 'true');
    }
  });
});

describe('namespaces and log level', () => {
  it('are passed to both functions when configured', () => {
    for (const fn of Object.values(full.template.findResources('AWS::Lambda::Function')) as any[]) {
      assert.equal(fn.Properties.Environment.Variables.CAPI_MCP_ALLOWED_NAMESPACES, 'team-a,team-b');
      assert.equal(fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL, 'DEBUG');
    }
  });

  it('refuse an empty namespace list at synth, which would deploy with no limit at all', () => {
    assert.throws(() => synth({ ...minimalSettings, allowedNamespaces: [] }), /allowedNamespaces is set but names no namespace/);
  });

  it('default to no namespace limit and INFO', () => {
    for (const fn of Object.values(minimal.template.findResources('AWS::Lambda::Function')) as any[]) {
      assert.equal(fn.Properties.Environment.Variables.CAPI_MCP_ALLOWED_NAMESPACES, undefined);
      assert.equal(fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL, 'INFO');
    }
  });
});

describe('reserved concurrency', () => {
  const reservedOf = ({ stack, template }: ReturnType<typeof synth>) => {
    const functions = template.findResources('AWS::Lambda::Function') as Record<string, any>;
    const mcp = logicalId(stack.mcpApi.function);
    const [step] = Object.keys(functions).filter((id) => id !== mcp);
    return { mcp: functions[mcp]!.Properties.ReservedConcurrentExecutions, step: functions[step!]!.Properties.ReservedConcurrentExecutions };
  };

  it('reserves 20 executions for the MCP function by default, and caps it there; the workflow step keeps the shared pool', () => {
    assert.deepEqual(reservedOf(minimal), { mcp: 20, step: undefined });
  });

  it('reserves the configured number', () => {
    assert.deepEqual(reservedOf(full), { mcp: 50, step: undefined });
  });

  it('reserves none at 0, rather than a reservation of 0 that would stop the function', () => {
    assert.deepEqual(reservedOf(synth({ ...minimalSettings, mcpReservedConcurrency: 0 })), { mcp: undefined, step: undefined });
  });
});

describe('EKS access entries', () => {
  it('are created for a cluster in the stack’s region', () => {
    const { template } = synth(minimalSettings, { env: { account: '123456789012', region: 'eu-west-1' } });
    template.resourceCountIs('AWS::EKS::AccessEntry', 2);
  });

  it('are left to the operator, with a warning naming the command, for a cluster in another region', () => {
    const { stack, template } = synth(minimalSettings, { env: { account: '123456789012', region: 'us-east-1' } });
    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    Annotations.fromStack(stack).hasWarning('/CapiMcp/EksAccess', Match.stringLikeRegexp('mgmt is in eu-west-1, not us-east-1: create its access entries yourself .*aws eks create-access-entry'));
    // Describing it across regions still works, so the grant stays.
    assert.ok(JSON.stringify(template.toJSON()).includes('eks:DescribeCluster'));
  });

  it('are not created without EKS management clusters, nor any EKS permission', () => {
    const { template } = synth({ ...minimalSettings, managementClusters: [] });
    template.resourceCountIs('AWS::EKS::AccessEntry', 0);
    assert.ok(!JSON.stringify(template.toJSON()).includes('eks:'));
  });

  it('cover every configured cluster', () => {
    const second = { name: 'staging', eks: { clusterName: 'mgmt-staging', region: 'eu-west-1' } };
    const { template } = synth({ ...minimalSettings, managementClusters: [eksCluster, second] });
    const clusters = Object.values(template.findResources('AWS::EKS::AccessEntry')).map((e: any) => e.Properties.ClusterName);
    assert.deepEqual(clusters.sort(), ['mgmt', 'mgmt', 'mgmt-staging', 'mgmt-staging']);
  });
});
