/** The CDK app: `npx cdk synth` (offline, no credentials) or `npx cdk deploy -c capi-mcp:managementClusters='[…]'`. */
import { App } from 'aws-cdk-lib';
import { CapiMcpStack } from '../lib/stack.ts';

const app = new App();
const context = (key: string) => {
  const value = app.node.tryGetContext(`capi-mcp:${key}`);
  // Values given with -c on the command line arrive as strings.
  return typeof value === 'string' ? JSON.parse(value) : value;
};

new CapiMcpStack(app, 'CapiMcp', {
  managementClusters: context('managementClusters') ?? [],
  readOnly: context('readOnly') ?? true,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
