/** pauseChange: the patch of spec.paused, what convergence shows, and what is refused. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pauseChange, pausedAnnotation } from '../../shared/capi/pause.ts';
import { obj } from '../fixtures/objects.ts';

describe('pauseChange', () => {
  it('patches only spec.paused of the Cluster, and expects the Paused condition to follow', () => {
    const plan = pauseChange(obj('Cluster', 'demo').build(), true);
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.objects, [{ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name: 'demo', namespace: 'default' }, spec: { paused: true } }]);
    assert.deepEqual(plan.expect, { paused: true });
    assert.deepEqual(plan.change, { action: 'pause' });
  });

  it('refuses to pause a paused cluster and to resume one that is not paused', () => {
    assert.deepEqual(pauseChange(obj('Cluster', 'demo').spec({ paused: true }).build(), true).problems, ['it is paused already (spec.paused is true)']);
    assert.deepEqual(pauseChange(obj('Cluster', 'demo').build(), false).problems, ['it is not paused (spec.paused is not set): nothing to resume']);
  });

  it("refuses to resume a cluster clusterctl move paused by annotation, and leaves that annotation alone", () => {
    const moving = obj('Cluster', 'demo').spec({ paused: true }).annotation(pausedAnnotation, '').build();
    const plan = pauseChange(moving, false);
    assert.deepEqual(plan.problems, [`it carries the annotation ${pausedAnnotation}, which clusterctl move sets while it moves a cluster; capi-mcp does not remove it`]);
    assert.equal(plan.objects[0].metadata.annotations, undefined);
  });
});
