/**
 * The MCP function's workflow engine, the deployed state machine read and driven through the Step
 * Functions API: in a module of its own, which handler.ts imports on the first workflow call, so the
 * Step Functions client is a chunk a cold start does not load.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { traced } from '../../shared/observability/tracing.ts';
import { SfnWorkflowEngine } from '../../shared/workflows/sfn-engine.ts';

export function stepFunctionsEngine(stateMachineArn: string): SfnWorkflowEngine {
  return new SfnWorkflowEngine({ client: traced(new SFNClient({})), stateMachineArn });
}
