/**
 * Management-cluster clients are built on their first call: a process that only answers discovery and
 * tools/list (a Lambda cold start) never loads @kubernetes/client-node or the AWS SDK.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from '../../shared/kube/client.ts';

const execFileAsync = promisify(execFile);

/** In a fresh process: which heavy packages are resolved before and after the first call. */
const probe = `
import { registerHooks } from 'node:module';
const heavy = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    const match = /node_modules\\/(@kubernetes\\/client-node|@aws-sdk\\/[^/]+)\\//.exec(result.url);
    if (match) heavy.add(match[1]);
    return result;
  },
});
const { managementClusters } = await import(${JSON.stringify(new URL('../../shared/kube/management-clusters.ts', import.meta.url).href)});
const clusters = managementClusters([
  { name: 'file', kubeconfig: '/nonexistent/kubeconfig' },
  { name: 'eks', eks: { clusterName: 'mgmt', region: 'eu-west-1' } },
]);
clusters.client('file');
clusters.client('eks');
const beforeFirstCall = [...heavy];
const firstCall = await clusters.client('file').listNodes().then(() => 'succeeded', (error) => error.message);
const afterFirstCall = [...heavy];
const firstEksCall = await clusters.client('eks').listNodes().then(() => 'succeeded', (error) => error.message);
process.stdout.write(JSON.stringify({ beforeFirstCall, afterFirstCall, firstCall, afterFirstEksCall: [...heavy], firstEksCall }));
`;

/** AWS settings that make the EKS client fail at once: fixed credentials, an endpoint nothing listens on. */
const unreachableAws = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9',
  AWS_MAX_ATTEMPTS: '1',
};

describe('management-cluster clients', () => {
  it('load neither client-node nor the AWS SDK until a call needs them', async () => {
    // Act
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', probe], { env: unreachableAws });
    const { beforeFirstCall, afterFirstCall, firstCall, afterFirstEksCall, firstEksCall } = JSON.parse(stdout);

    // Assess
    assert.deepEqual(beforeFirstCall, []);
    assert.ok(afterFirstCall.includes('@kubernetes/client-node'), `loaded on the first call: ${afterFirstCall}`);
    assert.ok(!afterFirstCall.some((p: string) => p.startsWith('@aws-sdk/')), 'a kubeconfig cluster never loads the AWS SDK');
    assert.match(firstCall, /\/nonexistent\/kubeconfig/, 'an unreadable kubeconfig fails the call that needs it');
    assert.ok(afterFirstEksCall.includes('@aws-sdk/client-eks'), `loaded on the first EKS call: ${afterFirstEksCall}`);
    assert.match(firstEksCall, /^failed to describe EKS cluster mgmt in eu-west-1: /);
  });
});

describe('once', () => {
  it('builds once for every caller, concurrent ones included', async () => {
    // Prepare
    let builds = 0;
    const get = once(async () => ++builds);

    // Act
    const results = await Promise.all([get(), get(), get()]);

    // Assess
    assert.deepEqual(results, [1, 1, 1]);
    assert.equal(await get(), 1);
  });

  it('forgets a failed build, so the next call retries', async () => {
    // Prepare
    let builds = 0;
    const get = once(async () => {
      builds += 1;
      if (builds === 1) throw new Error('kubeconfig not written yet');
      return 'client';
    });

    // Act and assess
    await assert.rejects(get(), /kubeconfig not written yet/);
    assert.equal(await get(), 'client');
    assert.equal(await get(), 'client');
    assert.equal(builds, 2);
  });
});
