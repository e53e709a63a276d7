/**
 * The CDK app: `npm run synth` (offline, no credentials) or `npx cdk deploy -c capi-mcp:<key>=<value> …`
 * with the context keys of infra/lib/context.ts. The AwsSolutions checks (cdk-nag) run on every synth,
 * so a finding that is neither fixed nor acknowledged in infra/lib/nag-suppressions.ts fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from '../lib/context.ts';
import { acknowledgeNagFindings } from '../lib/nag-suppressions.ts';
import { CapiMcpStack } from '../lib/stack.ts';

const app = new App();
const stack = new CapiMcpStack(app, 'CapiMcp', {
  ...settingsFromContext(app.node.getAllContext()),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
acknowledgeNagFindings(stack);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
