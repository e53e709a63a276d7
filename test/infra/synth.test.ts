/**
 * `npm run synth` as an operator runs it, in a child process with no AWS credentials, no AWS config
 * (an empty HOME) and nothing from this environment but PATH: the defaults of cdk.json, every context key
 * on the command line (which also runs the AwsSolutions checks the app registers, with VPC, WAF and
 * domain in play), and a typo in a key, which must fail naming it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fullSettings } from './stacks.ts';

const execFileAsync = promisify(execFile);

async function npmRunSynth(args: string[], region?: string): Promise<{ code: number; output: string; template?: any }> {
  const outdir = mkdtempSync(join(tmpdir(), 'capi-mcp-synth-'));
  const home = mkdtempSync(join(tmpdir(), 'capi-mcp-home-'));
  try {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, npm_config_update_notifier: 'false', ...(region ? { AWS_REGION: region } : {}) };
    let code = 0;
    let output = '';
    try {
      const { stdout, stderr } = await execFileAsync('npm', ['run', 'synth', '--', '--output', outdir, ...args], { env, cwd: process.cwd(), maxBuffer: 2 ** 24 });
      output = stdout + stderr;
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      code = e.code;
      output = e.stdout + e.stderr;
    }
    const file = join(outdir, 'CapiMcp.template.json');
    return { code, output, ...(existsSync(file) ? { template: JSON.parse(readFileSync(file, 'utf8')) } : {}) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

const resourcesOf = (template: any, type: string) => Object.values(template.Resources).filter((r: any) => r.Type === type) as any[];

describe('npm run synth, offline and without credentials', () => {
  it('synthesizes the defaults of cdk.json', async () => {
    const { code, output, template } = await npmRunSynth([]);
    assert.equal(code, 0, output);
    assert.equal(resourcesOf(template, 'AWS::Lambda::Function').length, 2);
    assert.equal(resourcesOf(template, 'AWS::SecretsManager::Secret').length, 1);
    assert.deepEqual(resourcesOf(template, 'AWS::Lambda::Function').map((fn) => fn.Properties.ReservedConcurrentExecutions).sort(), [20, undefined]);
  });

  it('synthesizes every option given as -c capi-mcp:<key>, passing the AwsSolutions checks', async () => {
    const { customDomain, vpc } = fullSettings;
    const context = {
      managementClusters: JSON.stringify(fullSettings.managementClusters),
      readOnly: 'false',
      allowedNamespaces: JSON.stringify(fullSettings.allowedNamespaces),
      logLevel: 'DEBUG',
      webAclArn: fullSettings.webAclArn!,
      customDomain: JSON.stringify({ domainName: customDomain!.domainName, certificateArn: customDomain!.certificateArn, hostedZoneId: customDomain!.hostedZone!.id, hostedZoneName: customDomain!.hostedZone!.name }),
      vpc: JSON.stringify(vpc),
      alarmEmail: fullSettings.alarmEmail!,
      mcpReservedConcurrency: String(fullSettings.mcpReservedConcurrency),
    };
    const { code, output, template } = await npmRunSynth(
      Object.entries(context).flatMap(([key, value]) => ['-c', `capi-mcp:${key}=${value}`]),
      'eu-west-1',
    );
    assert.equal(code, 0, output);
    assert.equal(resourcesOf(template, 'AWS::EKS::AccessEntry').length, 2);
    assert.equal(resourcesOf(template, 'AWS::WAFv2::WebACLAssociation').length, 1);
    assert.equal(resourcesOf(template, 'AWS::ApiGateway::DomainName').length, 1);
    assert.equal(resourcesOf(template, 'AWS::SNS::Subscription').length, 1);
    assert.deepEqual(resourcesOf(template, 'AWS::Lambda::Function').map((fn) => fn.Properties.ReservedConcurrentExecutions).sort(), [50, undefined]);
    for (const fn of resourcesOf(template, 'AWS::Lambda::Function')) {
      assert.deepEqual(fn.Properties.VpcConfig.SubnetIds, vpc!.subnetIds);
      assert.equal(fn.Properties.Environment.Variables.CAPI_MCP_ALLOWED_NAMESPACES, 'team-a,team-b');
    }
  });

  it('fails on a misspelt context key, naming it', async () => {
    const { code, output } = await npmRunSynth(['-c', 'capi-mcp:readonly=false']);
    assert.notEqual(code, 0);
    assert.match(output, /Unknown CDK context capi-mcp:readonly/);
  });
});
