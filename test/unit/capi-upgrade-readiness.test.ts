/** What blocks an upgrade (shared/capi/upgrade-readiness.ts), read from the Cluster and its Machines. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { median, upgradeBlockers } from '../../shared/capi/upgrade-readiness.ts';
import { obj } from '../fixtures/objects.ts';

const cluster = () => obj('Cluster', 'demo', 'team-a').spec({ topology: { version: 'v1.35.0' } });
const machine = (name: string) => obj('Machine', name, 'team-a').label('cluster.x-k8s.io/control-plane', '').spec({ version: 'v1.35.0' }).status({ nodeRef: { name } });

describe('upgradeBlockers', () => {
  it('finds nothing in a healthy, settled cluster', () => {
    assert.deepEqual(upgradeBlockers(cluster().build(), [machine('a').build()]), { cluster: [], machines: [] });
  });

  const cases: [string, ReturnType<typeof cluster>, ReturnType<typeof machine>, RegExp][] = [
    ['a cluster being deleted', cluster().deleting(), machine('a'), /^cluster team-a\/demo is being deleted$/],
    ['a cluster paused by annotation', cluster().annotation('cluster.x-k8s.io/paused', ''), machine('a'), /is paused \(cluster\.x-k8s\.io\/paused\)/],
    ['a paused Machine', cluster(), machine('a').annotation('cluster.x-k8s.io/paused', ''), /^Machine a is paused/],
    ['a Machine its owner remediates', cluster(), machine('a').condition('OwnerRemediated', 'False', 'WaitingForRemediation', 'KCP will remediate\nthis machine'), /^Machine a is being remediated by a MachineHealthCheck: WaitingForRemediation: KCP will remediate this machine$/],
    ['a Machine whose Node is unhealthy', cluster(), machine('a').condition('NodeHealthy', 'False'), /^Machine a is not healthy: its Node is unhealthy/],
    ['a Machine behind the topology version', cluster(), machine('a').spec({ version: 'v1.34.2' }), /^Machine a runs v1\.34\.2, not the topology version v1\.35\.0/],
  ];
  for (const [what, c, m, expected] of cases) {
    it(`blocks on ${what}`, () => {
      const found = upgradeBlockers(c.build(), [m.build()]);
      assert.match([...found.cluster, ...found.machines].join('\n'), expected);
    });
  }

  it('skips Machines being deleted and those of no pool', () => {
    assert.deepEqual(upgradeBlockers(cluster().build(), [machine('a').deleting().spec({ version: 'v1' }).build(), obj('Machine', 'loose').build()]).machines, []);
  });
});

describe('median', () => {
  it('takes the middle value, the lower one of an even count, nothing of none', () => {
    assert.deepEqual([median([3, 1, 2]), median([4, 1, 3, 2]), median([])], [2, 2, undefined]);
  });
});
