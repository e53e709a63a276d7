/**
 * Fixtures for the infra tests: the stack synthesized in-process (without esbuild unless asked, so a
 * test pays for bundling only when it runs the bundle) and readers for the parts of the template the
 * assertions look at.
 */
import { App, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { type CapiMcpSettings, CapiMcpStack } from '../../infra/lib/stack.ts';

export const eksCluster = { name: 'prod', eks: { clusterName: 'mgmt', region: 'eu-west-1' } } as const;

/** The defaults of cdk.json plus one EKS management cluster. */
export const minimalSettings: CapiMcpSettings = { managementClusters: [eksCluster], readOnly: true };

/** Every option set. */
export const fullSettings: CapiMcpSettings = {
  managementClusters: [eksCluster],
  readOnly: false,
  allowedNamespaces: ['team-a', 'team-b'],
  logLevel: 'DEBUG',
  webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/capi-mcp/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  customDomain: {
    domainName: 'mcp.example.com',
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' },
  },
  vpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], securityGroupIds: ['sg-0123456789abcdef0'] },
  alarmEmail: 'platform-oncall@example.com',
  mcpReservedConcurrency: 50,
};

export interface SynthOptions {
  /** Run esbuild (default false). */
  readonly bundle?: boolean;
  readonly outdir?: string;
  readonly env?: Environment;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: CapiMcpStack;
  readonly template: Template;
}

export function synth(settings: CapiMcpSettings = minimalSettings, options: SynthOptions = {}): Synthesized {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    // Note: an empty bundling-stacks list makes NodejsFunction skip esbuild.
    ...(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } }),
  });
  const stack = new CapiMcpStack(app, 'CapiMcp', { ...settings, ...(options.env ? { env: options.env } : {}) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const stack = construct.node.scopes.find((s): s is CapiMcpStack => s instanceof CapiMcpStack)!;
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as never);
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
}

/** Every statement of every AWS::IAM::Policy attached to the role with this logical id. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleLogicalId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** Logical ids of the roles whose policies allow `action` (exactly, or through a wildcard pattern). */
export function rolesAllowing(template: Template, action: string): string[] {
  const matches = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);
  const roles = new Set<string>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as any[]) {
    const allows = (policy.Properties.PolicyDocument.Statement as Statement[]).some((s) => s.Effect === 'Allow' && [s.Action].flat().some(matches));
    if (allows) for (const r of policy.Properties.Roles) roles.add(r.Ref);
  }
  return [...roles].sort();
}

export const actionsOf = (s: Statement): string[] => [s.Action].flat().sort();
