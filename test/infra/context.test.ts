/**
 * CDK context → stack settings (infra/lib/context.ts): values as cdk.json holds them and as `-c` passes
 * them (strings), the defaults, and a synth failure naming the key for a bad value or an unknown key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { settingsFromContext } from '../../infra/lib/context.ts';
import { fullSettings } from './stacks.ts';

const certificateArn = fullSettings.customDomain!.certificateArn;

describe('settings from CDK context', () => {
  it('defaults to no management clusters, read-only, and nothing optional', () => {
    assert.deepEqual(settingsFromContext({}), { managementClusters: [], readOnly: true });
  });

  it('ignores context that is not capi-mcp’s', () => {
    assert.deepEqual(settingsFromContext({ 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:newStyleStackSynthesis': true }), { managementClusters: [], readOnly: true });
  });

  const cases: [string, Record<string, unknown>, Partial<ReturnType<typeof settingsFromContext>>][] = [
    ['management clusters as cdk.json holds them (JSON)', { 'capi-mcp:managementClusters': [{ name: 'prod', eks: { clusterName: 'mgmt', region: 'eu-west-1' } }] }, { managementClusters: [{ name: 'prod', eks: { clusterName: 'mgmt', region: 'eu-west-1' } }] }],
    ['management clusters as -c passes them (a string)', { 'capi-mcp:managementClusters': '[{"name":"prod","eks":{"clusterName":"mgmt","region":"eu-west-1"}}]' }, { managementClusters: [{ name: 'prod', eks: { clusterName: 'mgmt', region: 'eu-west-1' } }] }],
    ['read-only off, as a boolean', { 'capi-mcp:readOnly': false }, { readOnly: false }],
    ['read-only off, as -c passes it', { 'capi-mcp:readOnly': 'false' }, { readOnly: false }],
    ['allowed namespaces', { 'capi-mcp:allowedNamespaces': '["team-a","team-b"]' }, { allowedNamespaces: ['team-a', 'team-b'] }],
    ['a log level', { 'capi-mcp:logLevel': 'DEBUG' }, { logLevel: 'DEBUG' }],
    ['a WAF web ACL', { 'capi-mcp:webAclArn': fullSettings.webAclArn }, { webAclArn: fullSettings.webAclArn! }],
    ['a custom domain without a hosted zone', { 'capi-mcp:customDomain': JSON.stringify({ domainName: 'mcp.example.com', certificateArn }) }, { customDomain: { domainName: 'mcp.example.com', certificateArn } }],
    [
      'a custom domain with its hosted zone',
      { 'capi-mcp:customDomain': { domainName: 'mcp.example.com', certificateArn, hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' } },
      { customDomain: { domainName: 'mcp.example.com', certificateArn, hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' } } },
    ],
    ['a VPC placement', { 'capi-mcp:vpc': JSON.stringify(fullSettings.vpc) }, { vpc: fullSettings.vpc! }],
    ['an alarm address', { 'capi-mcp:alarmEmail': 'platform-oncall@example.com' }, { alarmEmail: 'platform-oncall@example.com' }],
    ['a reserved concurrency as cdk.json holds it (a number)', { 'capi-mcp:mcpReservedConcurrency': 50 }, { mcpReservedConcurrency: 50 }],
    ['a reserved concurrency as -c passes it (a string)', { 'capi-mcp:mcpReservedConcurrency': '50' }, { mcpReservedConcurrency: 50 }],
    ['no reserved concurrency (0)', { 'capi-mcp:mcpReservedConcurrency': '0' }, { mcpReservedConcurrency: 0 }],
  ];
  for (const [name, context, expected] of cases) {
    it(`reads ${name}`, () => {
      assert.deepEqual(settingsFromContext(context), { managementClusters: [], readOnly: true, ...expected });
    });
  }

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown key (a typo)', { 'capi-mcp:readonly': 'true' }, /Unknown CDK context capi-mcp:readonly; the capi-mcp keys are capi-mcp:managementClusters, capi-mcp:readOnly/],
    ['management clusters that are not JSON', { 'capi-mcp:managementClusters': '[{name:prod}]' }, /capi-mcp:managementClusters is invalid/],
    ['a kubeconfig management cluster (Lambda has no kubeconfig file)', { 'capi-mcp:managementClusters': [{ name: 'prod', kubeconfig: '/home/me/.kube/config' }] }, /capi-mcp:managementClusters is invalid/],
    ['read-only spelled otherwise', { 'capi-mcp:readOnly': 'yes' }, /capi-mcp:readOnly is invalid/],
    ['a namespace that is no DNS label', { 'capi-mcp:allowedNamespaces': '["Team_A"]' }, /capi-mcp:allowedNamespaces is invalid.*Kubernetes namespace name/s],
    ['a log level Powertools does not know', { 'capi-mcp:logLevel': 'VERBOSE' }, /capi-mcp:logLevel is invalid/],
    ['a CloudFront (global) web ACL', { 'capi-mcp:webAclArn': 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1' }, /capi-mcp:webAclArn is invalid/],
    ['a hosted zone id without its name', { 'capi-mcp:customDomain': { domainName: 'mcp.example.com', certificateArn, hostedZoneId: 'Z0123456789ABCDEFGHIJ' } }, /hostedZoneId and hostedZoneName go together/],
    ['a VPC without subnets', { 'capi-mcp:vpc': { vpcId: 'vpc-0123456789abcdef0', subnetIds: [], securityGroupIds: ['sg-0123456789abcdef0'] } }, /capi-mcp:vpc is invalid/],
    ['an alarm address that is none', { 'capi-mcp:alarmEmail': 'oncall' }, /capi-mcp:alarmEmail is invalid/],
    ['a reserved concurrency misspelled', { 'capi-mcp:mcpReservedConcurency': 20 }, /Unknown CDK context capi-mcp:mcpReservedConcurency; .*capi-mcp:mcpReservedConcurrency/],
    ['a negative reserved concurrency', { 'capi-mcp:mcpReservedConcurrency': -1 }, /capi-mcp:mcpReservedConcurrency is invalid/],
    ['a fractional reserved concurrency', { 'capi-mcp:mcpReservedConcurrency': 2.5 }, /capi-mcp:mcpReservedConcurrency is invalid/],
    ['a reserved concurrency in words', { 'capi-mcp:mcpReservedConcurrency': 'twenty' }, /capi-mcp:mcpReservedConcurrency is invalid.*a whole number, 0 or more/s],
  ];
  for (const [name, context, message] of invalid) {
    it(`refuses ${name}, naming the key`, () => {
      assert.throws(() => settingsFromContext(context), message);
    });
  }
});
