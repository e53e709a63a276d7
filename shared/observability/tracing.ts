/**
 * X-Ray tracing through Powertools Tracer, for the Lambda functions: AWS SDK clients wrapped here get a
 * subsegment per call, outgoing HTTPS (the Kubernetes API) is captured by the Tracer itself, and each
 * invocation is annotated with cold start and service. Outside Lambda the Tracer disables itself and
 * `traced` hands the client back unchanged.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

export const tracer = new Tracer({ serviceName: 'capi-mcp' });

/** The AWS SDK v3 client, traced when running in Lambda with tracing on. */
export function traced<C>(client: C): C {
  return tracer.captureAWSv3Client(client as never) as C;
}
