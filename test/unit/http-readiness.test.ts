/** The readiness probe's answer (shared/http/readiness.ts): asked of the management cluster at most once per period, bounded in time. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cachedReadiness } from '../../shared/http/readiness.ts';

/** A check that counts its calls and answers as `outcome` says at the time of each call. */
function countedCheck(outcome: () => 'ok' | 'fails' | 'hangs') {
  let calls = 0;
  const check = () => {
    calls++;
    const now = outcome();
    if (now === 'ok') return Promise.resolve();
    if (now === 'fails') return Promise.reject(new Error('refused'));
    return new Promise<void>(() => {});
  };
  return { check, calls: () => calls };
}

describe('cachedReadiness', () => {
  it('asks once per period however often it is asked, concurrent asks sharing one check', async () => {
    let clock = 0;
    const { check, calls } = countedCheck(() => 'ok');
    const ready = cachedReadiness(check, { ttlMs: 5_000, now: () => clock });
    assert.deepEqual(await Promise.all([ready(), ready(), ready()]), [true, true, true]);
    clock = 4_999;
    assert.equal(await ready(), true);
    assert.equal(calls(), 1);
    clock = 5_000;
    assert.equal(await ready(), true);
    assert.equal(calls(), 2);
  });

  it('answers not ready while the check fails, and ready again once the next period finds it answering', async () => {
    let clock = 0;
    let state: 'ok' | 'fails' = 'fails';
    const ready = cachedReadiness(countedCheck(() => state).check, { ttlMs: 1_000, now: () => clock });
    assert.equal(await ready(), false);
    state = 'ok';
    assert.equal(await ready(), false, 'the failure is kept for its period');
    clock = 1_000;
    assert.equal(await ready(), true);
  });

  it('answers not ready when the check takes longer than its timeout', async () => {
    const reasons: string[] = [];
    const ready = cachedReadiness(countedCheck(() => 'hangs').check, { timeoutMs: 50, onFailure: (reason) => reasons.push(reason) });
    assert.equal(await ready(), false);
    assert.deepEqual(reasons, ['no answer within 50 ms']);
  });

  it("tells why a check failed, once per check, to the server's log only", async () => {
    let clock = 0;
    const reasons: string[] = [];
    const ready = cachedReadiness(countedCheck(() => 'fails').check, { ttlMs: 1_000, now: () => clock, onFailure: (reason) => reasons.push(reason) });
    await Promise.all([ready(), ready()]);
    clock = 1_000;
    await ready();
    assert.deepEqual(reasons, ['refused', 'refused']);
  });
});
