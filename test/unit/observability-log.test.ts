/**
 * shared/observability/log.ts: a record written to the log file is on disk when the call that wrote it
 * returns. Tests (the auth matrix, the canary) read the file right after the HTTP answer; an asynchronous
 * stream left the last call's audit record unwritten then, which failed CI by chance under load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLog, maxAuditArgumentsBytes, maxAuditStringBytes } from '../../shared/observability/log.ts';

/** The one audit record `args` produce, as written to a fresh log file: its line and the parsed record. */
function auditLine(args: unknown): { line: string; record: { arguments: any; tool: string } } {
  const file = join(mkdtempSync(join(tmpdir(), 'capi-mcp-log-')), 'capture.log');
  createLog({ file }).audit({ requestId: 'r', keyId: 'k', tool: 'create_cluster', arguments: args, outcome: 'error', reason: 'InvalidInput', durationMs: 1 });
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1);
  return { line: lines[0]!, record: JSON.parse(lines[0]!) };
}

describe('createLog with a file', () => {
  it('has each audit record in the file as soon as audit() returns, redacted', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'capi-mcp-log-')), 'capture.log');
    const log = createLog({ file });
    for (let i = 0; i < 50; i++) {
      log.audit({ requestId: `r${i}`, keyId: 'k', tool: 'list_clusters', arguments: { token: 'Bearer abc.def' }, outcome: 'denied', durationMs: i });
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      assert.equal(lines.length, i + 1, `record ${i} is written before audit() returns`);
      const record = JSON.parse(lines[i]!);
      assert.equal(record.requestId, `r${i}`);
      assert.equal(record.arguments.token, '[REDACTED]');
    }
  });

  it('creates the file readable by its owner only', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'capi-mcp-log-')), 'capture.log');
    createLog({ file }).info('hello');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});

describe('audit records of huge arguments', () => {
  it('cut a string argument over 4 KiB to its start, its size and its digest, after redacting it', () => {
    const secret = 'capi_abcdefghijkm_' + 's'.repeat(40);
    const huge = `${secret} ${'x'.repeat(1_000_000)}`;
    const { line, record } = auditLine({ namespace: 'team-a', name: 'web', variables: [{ name: 'notes', value: huge }], token: 'Bearer abc.def' });
    assert.ok(Buffer.byteLength(line) < 8 * 1024, `the record is ${Buffer.byteLength(line)} bytes`);
    const value: string = record.arguments.variables[0].value;
    assert.match(value, /^capi_abcdefghijkm_\[REDACTED\] x+… \[\d+ bytes, sha256 [0-9a-f]{64}\]$/);
    assert.ok(!line.includes('s'.repeat(40)), 'the key secret is redacted before the cut');
    assert.equal(record.arguments.token, '[REDACTED]');
    assert.deepEqual([record.arguments.namespace, record.arguments.name, record.arguments.variables[0].name], ['team-a', 'web', 'notes']);
  });

  it(`keep a string of exactly ${maxAuditStringBytes} bytes whole`, () => {
    const value = 'y'.repeat(maxAuditStringBytes);
    assert.equal(auditLine({ value }).record.arguments.value, value);
  });

  it('bound the arguments as a whole, however many strings under 4 KiB they hold', () => {
    const args = { items: Array.from({ length: 300 }, (_, i) => `${i}:${'z'.repeat(3000)}`), password: 'hunter2' };
    const { line, record } = auditLine(args);
    assert.ok(Buffer.byteLength(line) <= maxAuditArgumentsBytes + 1024, `the record is ${Buffer.byteLength(line)} bytes`);
    assert.equal(typeof record.arguments, 'string');
    assert.match(record.arguments, /^\{"items":\["0:z+… \[\d+ bytes, sha256 [0-9a-f]{64}\]$/);
    assert.ok(!line.includes('hunter2'));
    assert.equal(record.tool, 'create_cluster');
  });
});
