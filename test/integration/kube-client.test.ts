/**
 * The KubeClient against the test sandbox's API server: calls share one connection instead of paying a
 * TLS handshake each (client-node 2.0.1 on its own opens one per request), and the caller's KubeConfig
 * is left as it was.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { CoreV1Api } from '@kubernetes/client-node';
import { kubeClientFor } from '../../shared/kube/client.ts';
import { Kinds } from '../../shared/kube/kinds.ts';
import { adminKubeConfig } from '../support/sandbox.ts';

/** Connections undici opens while `fn` runs. */
async function connectionsOpenedBy(fn: () => Promise<unknown>): Promise<number> {
  let opened = 0;
  const count = () => opened++;
  diagnostics.subscribe('undici:client:connected', count);
  try {
    await fn();
  } finally {
    diagnostics.unsubscribe('undici:client:connected', count);
  }
  return opened;
}

describe('KubeClient connections', () => {
  it('serves sequential and parallel calls over the connection the first call opened', async () => {
    // Prepare
    const kube = await kubeClientFor(adminKubeConfig());
    const first = await connectionsOpenedBy(() => kube.list(Kinds.Cluster, { namespace: 'default' }));

    // Act
    const later = await connectionsOpenedBy(async () => {
      for (let i = 0; i < 3; i++) await kube.list(Kinds.Machine, { namespace: 'default' });
      await Promise.all([kube.list(Kinds.MachineSet, { namespace: 'default' }), kube.listEvents('default', 'type=Warning'), kube.get(Kinds.ClusterClass, 'default', 'in-memory')]);
    });

    // Assess
    assert.equal(first, 1);
    assert.equal(later, 0);
  });

  it("leaves the caller's KubeConfig opening connections as client-node does", async () => {
    // Prepare
    const kc = adminKubeConfig();
    await kubeClientFor(kc);
    const core = kc.makeApiClient(CoreV1Api);

    // Act
    const opened = await connectionsOpenedBy(async () => {
      await core.listNamespace();
      await core.listNamespace();
    });

    // Assess
    assert.equal(opened, 2, "the caller's own API clients are not rewired");
  });
});
