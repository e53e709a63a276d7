/**
 * X-Ray tracing through Powertools Tracer, for the Lambda functions: each traced invocation runs inside a
 * `## <handler>` subsegment annotated with ColdStart and Service (what Powertools' captureLambdaHandler
 * does), AWS SDK clients passed through `traced` get a subsegment per call, and outgoing HTTPS (the
 * Kubernetes API) is captured by the Tracer itself.
 *
 * Note: the Tracer is imported on the first invocation that may be traced — in Lambda, unless the
 * invocation's trace header says it is not sampled — never at init. The X-Ray SDK under it is ~110 KiB of
 * code and turns on async hooks for its context store, which every later promise pays for: outside Lambda
 * (the local server, the cold-start bench) it is never loaded, and a Lambda container whose first
 * invocations are unsampled loads it with the first sampled one. Annotations must go on the subsegment:
 * Powertools refuses (with a warning) to annotate the facade segment Lambda itself owns.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = 'capi-mcp';

let tracer: Tracer | undefined;
let loading: Promise<Tracer> | undefined;
/** AWS SDK clients made before the Tracer was loaded: captured when it is. */
const pending: object[] = [];
/** Whether an invocation ran untraced before the Tracer was loaded (so the next one is no cold start). */
let ranUntraced = false;

/** The AWS SDK v3 client, traced (now, or once the Tracer is loaded) when running in Lambda with tracing on. */
export function traced<C>(client: C): C {
  if (tracer) return tracer.captureAWSv3Client(client as never) as C;
  pending.push(client as object);
  return client;
}

/**
 * `handler` as Lambda's entry point: in an invocation X-Ray traces, it runs inside Powertools'
 * captureLambdaHandler subsegment (neither responses nor error texts are recorded: they carry cluster
 * data a tenant wrote), and `annotate` labels that subsegment. Elsewhere `handler` runs as it is.
 */
export function tracedHandler<E, R>(handler: (event: E) => Promise<R>, annotate?: (tracer: Tracer, event: E) => void): (event: E) => Promise<R> {
  let wrapped: ((event: E) => Promise<R>) | undefined;
  return async (event) => {
    const active = mayBeSampled() ? await loadTracer() : undefined;
    if (!active?.isTracingEnabled()) {
      ranUntraced = true;
      return handler(event);
    }
    if (!wrapped) {
      const descriptor: PropertyDescriptor = {
        value: (e: E) => {
          annotate?.(active, e);
          return handler(e);
        },
      };
      active.captureLambdaHandler({ captureResponse: false })(undefined as never, 'handler', descriptor as never);
      wrapped = descriptor.value as (event: E) => Promise<R>;
    }
    return wrapped(event);
  };
}

/**
 * Whether this invocation may be traced: in Lambda (Powertools' own test, AWS_EXECUTION_ENV), tracing
 * not switched off, and no trace header saying Sampled=0. The Tracer, once loaded, decides the rest.
 */
function mayBeSampled(): boolean {
  if (tracer) return true;
  if (!process.env.AWS_EXECUTION_ENV || process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() === 'false') return false;
  // Note: without a header (concurrent invocations carry it in the runtime's context) the Tracer decides.
  const header = process.env._X_AMZN_TRACE_ID;
  return header === undefined || !/(?:^|;)Sampled=0(?:;|$)/.test(header);
}

function loadTracer(): Promise<Tracer> {
  loading ??= import('@aws-lambda-powertools/tracer').then(({ Tracer }) => {
    class ContainerTracer extends Tracer {
      /** An earlier, untraced invocation was the cold start: no later one may be annotated as one. */
      coldStartPassed(): void {
        this.getColdStart();
      }

      /**
       * A thrown error marks the subsegment as failed, without its message and stack (what Powertools does
       * with POWERTOOLS_TRACER_CAPTURE_ERROR=false): they can carry what a tenant wrote in a cluster, and
       * X-Ray is not redacted. The logs have the error, redacted.
       */
      override addErrorAsMetadata(): void {
        this.getSegment()?.addErrorFlag();
      }
    }
    const loaded = new ContainerTracer({ serviceName });
    if (ranUntraced) loaded.coldStartPassed();
    for (const client of pending.splice(0)) loaded.captureAWSv3Client(client as never);
    tracer = loaded;
    return loaded;
  });
  return loading;
}
