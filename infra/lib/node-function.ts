/**
 * How every capi-mcp Lambda is built: Node.js 24 on arm64, X-Ray tracing, a month of logs, its code
 * bundled by infra/lib/function-bundle.ts (esbuild, ESM split into chunks, source maps, its own AWS SDK).
 * One place, so the functions cannot drift apart.
 *
 * Each function gets a role of its own that may write to its own log group and nothing else; the
 * constructs that use a function grant it the rest. Note: not AWSLambdaBasicExecutionRole, which lets a
 * function create and write any log group in the account.
 */
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction, entryFile } from './function-bundle.ts';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** Where the functions run when they must reach private EKS endpoints: imported, never looked up. */
export interface VpcPlacement {
  readonly vpc: IVpc;
  readonly subnets: readonly ISubnet[];
  readonly securityGroups: readonly ISecurityGroup[];
}

export interface CapiMcpFunctionProps {
  /** Folder under functions/ holding handler.ts. */
  readonly name: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The contract between the stack and shared/config. */
  readonly environment: Readonly<Record<string, string>>;
  /** Run in these subnets; default outside any VPC. */
  readonly vpc?: VpcPlacement;
  /** Concurrent executions reserved for the function, and its ceiling; default none (the account's unreserved pool). */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The `function_name` dimension of Powertools' ColdStart metric (POWERTOOLS_METRICS_FUNCTION_NAME): named
 * by stack and folder, because a function's generated name cannot appear in its own environment.
 */
export function metricsFunctionName(scope: Construct, name: string): string {
  return `${Stack.of(scope).stackName}-${name}`;
}

export function capiMcpFunction(scope: Construct, id: string, props: CapiMcpFunctionProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `capi-mcp ${props.name} function`,
  });
  logGroup.grantWrite(role);
  if (props.vpc) {
    // Note: the ENI actions Lambda needs in a VPC take no resource-level scoping; AWS maintains the list.
    role.addManagedPolicy(ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
  }
  return new NodejsFunction(scope, id, {
    // Note: NodejsFunction's own bundling passes esbuild an --outfile, which code splitting cannot use;
    // given `code`, it bundles nothing and the settings come from function-bundle.ts alone.
    code: functionCode(props.name),
    handler: `${entryFile.replace(/\.mjs$/, '')}.handler`,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    tracing: Tracing.ACTIVE,
    role,
    environment: { ...props.environment, POWERTOOLS_METRICS_FUNCTION_NAME: metricsFunctionName(scope, props.name), NODE_OPTIONS: '--enable-source-maps' },
    logGroup,
    ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
    ...(props.vpc
      ? { vpc: props.vpc.vpc, vpcSubnets: { subnets: [...props.vpc.subnets] }, securityGroups: [...props.vpc.securityGroups] }
      : {}),
  });
}

/**
 * The function's code: functions/<name> bundled locally by esbuild, a devDependency, so always at hand.
 * Hashed by output, as NodejsFunction hashes; a synth that skips bundling (`aws:cdk:bundling-stacks`)
 * skips it here too.
 *
 * Note: the asset's source is the function's own folder, not the repository. CDK reuses a bundle
 * within a synth for assets of equal source and bundling options, and a local bundler's options
 * serialize alike for every function: with one source, every function got the first one's code.
 */
function functionCode(name: string): Code {
  return Code.fromAsset(join(repoRoot, 'functions', name), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Note: never pulled; the local bundler always succeeds or throws.
      image: DockerImage.fromRegistry('dummy'),
      local: {
        tryBundle(outputDir) {
          bundleFunction(name, outputDir);
          return true;
        },
      },
    },
  });
}
