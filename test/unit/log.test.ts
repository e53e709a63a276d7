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
import { createLog } from '../../shared/observability/log.ts';

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
