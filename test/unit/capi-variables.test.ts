/** variableProblems and variableSizeProblems: ClusterClass variable values against their schemas and their size bound, table-driven. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maxVariableValueBytes, variableProblems, variableSizeProblems, type VariableDefinition } from '../../shared/capi/variables.ts';

const definitions: VariableDefinition[] = [
  { name: 'region', required: true, schema: { openAPIV3Schema: { type: 'string', enum: ['eu-west-1', 'us-east-1'] } } },
  { name: 'workerCount', schema: { openAPIV3Schema: { type: 'integer', minimum: 1, maximum: 10 } } },
  { name: 'podCIDR', schema: { openAPIV3Schema: { type: 'string', format: 'ipv4' } } },
  { name: 'sshKeyName', schema: { openAPIV3Schema: { type: 'string', nullable: true, 'x-kubernetes-validations': [{ rule: 'self.size() > 0' }] } } },
  {
    name: 'controlPlane',
    schema: {
      openAPIV3Schema: {
        type: 'object',
        required: ['instanceType'],
        properties: { instanceType: { type: 'string', pattern: '^[a-z0-9]+\\.[a-z0-9]+$' }, rootVolumeGiB: { type: 'integer', minimum: 8 } },
        additionalProperties: false,
      },
    },
  },
  { name: 'free', schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
  { name: 'evil', schema: { openAPIV3Schema: { type: 'string', pattern: '^(a+)+$' } } },
  { name: 'backref', schema: { openAPIV3Schema: { type: 'string', pattern: '^(a)\\1$' } } },
  { name: 'long', schema: { openAPIV3Schema: { type: 'string', pattern: `^(${'a|'.repeat(300)}a)$` } } },
  { name: 'untyped' },
];

describe('variableProblems', () => {
  const table: [string, Record<string, unknown>, string[]][] = [
    ['accepts values that match', { region: 'eu-west-1', workerCount: 3, podCIDR: '10.0.0.0', sshKeyName: null, controlPlane: { instanceType: 'm5.large' }, free: { anything: [1] }, untyped: 42 }, []],
    ['names a value outside an enum and lists the allowed ones', { region: 'mars-1' }, ['variable "region": must be equal to one of the allowed values (["eu-west-1","us-east-1"])']],
    ['names a wrong type', { workerCount: 'three' }, ['variable "workerCount": must be integer']],
    ['names a bound', { workerCount: 11 }, ['variable "workerCount": must be <= 10']],
    ['checks formats', { podCIDR: '10.0.0.300' }, ['variable "podCIDR": must match format "ipv4"']],
    ['points into nested objects', { controlPlane: { instanceType: 'M5 LARGE', rootVolumeGiB: 4 } }, [
      'variable "controlPlane" at /instanceType: must match pattern "^[a-z0-9]+\\.[a-z0-9]+$"',
      'variable "controlPlane" at /rootVolumeGiB: must be >= 8',
    ]],
    ['checks a pattern written to backtrack, in linear time', { evil: `${'a'.repeat(40)}!` }, ['variable "evil": must match pattern "^(a+)+$"']],
    // Patterns the linear engine cannot run are left to the API server's dry run (Go's RE2).
    ['leaves a pattern with a backreference to the API server', { backref: 'ab' }, []],
    ['leaves an over-long pattern to the API server', { long: 'b' }, []],
    ['names a missing nested field and an unknown one', { controlPlane: { size: 'big' } }, ['variable "controlPlane": must have required property \'instanceType\'', 'variable "controlPlane": must NOT have additional properties']],
    ['ignores variables that were not given', {}, []],
  ];
  for (const [name, values, expected] of table) {
    it(name, () => assert.deepEqual(variableProblems(definitions, values), expected));
  }
});

describe('variableSizeProblems', () => {
  let deep: unknown = 0;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  const table: [string, Record<string, unknown>, string[]][] = [
    ['accepts values within the bound', { region: 'eu-west-1', files: [{ path: '/etc/a', content: 'x'.repeat(1000) }] }, []],
    ['accepts a value of exactly the bound as JSON', { ca: 'a'.repeat(maxVariableValueBytes - 2) }, []],
    ['names a string one byte over as JSON (its quotes count)', { ca: 'a'.repeat(maxVariableValueBytes - 1) }, [`variable "ca" is ${maxVariableValueBytes + 1} bytes as JSON; at most 65536`]],
    [
      'names an object of small parts that is large in all, and every such variable',
      { files: Array.from({ length: 2000 }, () => 'c'.repeat(40)), other: { list: Array.from({ length: 2000 }, () => 'd'.repeat(40)) } },
      ['variable "files" is 86001 bytes as JSON; at most 65536', 'variable "other" is 86010 bytes as JSON; at most 65536'],
    ],
    ['names a value too deep to write as JSON rather than throwing', { deep }, ['variable "deep" cannot be written as JSON']],
  ];
  for (const [name, values, expected] of table) it(name, () => assert.deepEqual(variableSizeProblems(values), expected));
});
