/**
 * How every capi-mcp Lambda is built: Node.js 24 on arm64, X-Ray tracing, a month of logs, bundled by
 * esbuild as ESM with source maps and its own AWS SDK (so the deployed code runs the SDK version the
 * tests ran). One place, so the functions cannot drift apart.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');

export interface CapiMcpFunctionProps {
  /** Folder under functions/ holding handler.ts. */
  readonly name: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The contract between the stack and shared/config. */
  readonly environment: Readonly<Record<string, string>>;
}

export function capiMcpFunction(scope: Construct, id: string, props: CapiMcpFunctionProps): NodejsFunction {
  return new NodejsFunction(scope, id, {
    entry: join(repoRoot, 'functions', props.name, 'handler.ts'),
    handler: 'handler',
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    tracing: Tracing.ACTIVE,
    environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    bundling: {
      format: OutputFormat.ESM,
      target: 'node24',
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      // Bundle the AWS SDK too (CDK leaves @aws-sdk/* to the runtime by default).
      externalModules: [],
      // Some dependencies still call require(); give the ESM bundle one.
      banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
}
