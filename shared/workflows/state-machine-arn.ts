/**
 * The shape of a Step Functions state machine ARN, checked where a process starts: in a module of its own,
 * without the Step Functions client, so the MCP function can refuse a wrong ARN at init and still load
 * that client only on its first workflow call.
 */

/** Throws unless `arn` is `arn:<partition>:states:<region>:<account>:stateMachine:<name>`. */
export function assertStateMachineArn(arn: string): void {
  if (!/^arn:[^:]+:states:[^:]+:\d{12}:stateMachine:[^:]+$/.test(arn)) {
    throw new Error(`not a state machine ARN: ${arn} (expected arn:aws:states:<region>:<account>:stateMachine:<name>)`);
  }
}
