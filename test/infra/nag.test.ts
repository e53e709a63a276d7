/**
 * cdk-nag's AwsSolutions checks on the stack, with the defaults and with every option set: zero errors
 * and zero warnings once infra/lib/nag-suppressions.ts is applied, every finding covered by an entry of
 * that list on the resource or one of its parents, and no entry left over that covers nothing. The list
 * is printed with its reasons.
 *
 * Note: cdk-nag v3 reports through CDK's policy-validation plugins instead of annotations, so the
 * findings are read from `validateScope`, the entry point cdk-nag provides for tests; the app registers
 * the same checks as a plugin, which fails `cdk synth` (test/infra/synth.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeNagFindings, nagSuppressions } from '../../infra/lib/nag-suppressions.ts';
import { type CapiMcpSettings, CapiMcpStack } from '../../infra/lib/stack.ts';
import { fullSettings, minimalSettings } from './stacks.ts';

const configurations: [string, CapiMcpSettings, { account: string; region: string } | undefined][] = [
  ['the defaults', minimalSettings, undefined],
  ['every option, in a known account and region', fullSettings, { account: '123456789012', region: 'eu-west-1' }],
];

for (const [name, settings, env] of configurations) {
  describe(`cdk-nag AwsSolutions on ${name}`, () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new CapiMcpStack(app, 'CapiMcp', { ...settings, ...(env ? { env } : {}) });
    const findings = new AwsSolutionsChecks().validateScope(stack).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ rule: v.ruleName, severity: v.severity, path: r.constructPath!, description: v.description })),
    );
    const suppressions = nagSuppressions(stack);
    const covers = (s: (typeof suppressions)[number], f: (typeof findings)[number]) => s.id === f.rule && (f.path === s.scope.node.path || f.path.startsWith(`${s.scope.node.path}/`));

    it('finds something to check (the rules ran)', () => {
      assert.ok(findings.length > 0);
    });

    it('every finding is acknowledged, on its resource or a parent, with a reason', () => {
      const uncovered = findings.filter((f) => !suppressions.some((s) => covers(s, f)));
      assert.deepEqual(uncovered, []);
      for (const s of suppressions) assert.ok(s.reason.length > 40, `${s.id} on ${s.scope.node.path} says why`);
    });

    it('every acknowledgement covers a finding (none is stale)', () => {
      const stale = suppressions.filter((s) => !findings.some((f) => covers(s, f))).map((s) => `${s.scope.node.path} ${s.id}`);
      assert.deepEqual(stale, []);
    });

    it('leaves zero errors and zero warnings once acknowledged', (t) => {
      acknowledgeNagFindings(stack);
      const after = new AwsSolutionsChecks().validateScope(stack).violations;
      assert.deepEqual(after.filter((v) => v.severity === 'error'), []);
      assert.deepEqual(after.filter((v) => v.severity === 'warning'), []);
      assert.deepEqual(after, []);
      for (const s of suppressions) t.diagnostic(`${s.scope.node.path}  ${s.id}: ${s.reason}`);
    });
  });
}
