/**
 * ClusterClass variable values checked against the class's own schemas before anything is sent, so an
 * agent hears "variable "workerCount": must be <= 10" at once instead of a webhook error after a dry run.
 *
 * CAPI variables carry an OpenAPI v3 schema (`spec.variables[].schema.openAPIV3Schema`): JSON Schema plus
 * `nullable` and Kubernetes `x-kubernetes-*` extensions. Ajv validates the JSON Schema part (`nullable`
 * included); the extensions are ignored (`strict: false`), and CEL rules (`x-kubernetes-validations`)
 * are left to the API server's dry run, which still runs after this.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { setFlagsFromString } from 'node:v8';

export interface VariableDefinition {
  readonly name: string;
  readonly required?: boolean;
  readonly schema?: { readonly openAPIV3Schema?: object };
}

/** What Ajv takes to compile `pattern`s (the type itself is not exported). */
type RegExpEngine = NonNullable<NonNullable<NonNullable<ConstructorParameters<typeof Ajv>[0]>['code']>['regExp']>;

/**
 * Longest `pattern` checked here; a longer one is left to the dry run. Note: the linear engine's time
 * grows with the pattern's size times the value's; real patterns are a few dozen characters.
 */
const maxPatternLength = 512;

// Note: lets RegExp take the "l" flag, V8's linear-time engine; no other regular expression changes.
setFlagsFromString('--enable-experimental-regexp-engine');

/**
 * How Ajv compiles a schema's `pattern`: in linear time, or not at all.
 *
 * Note: whoever may write the ClusterClass writes the pattern and the caller writes the value, and in
 * JavaScript's backtracking engine a pattern like `^(a+)+$` takes exponential time (25 characters took
 * 0.3 s, each one more doubles it). A pattern the linear engine cannot run (backreferences, lookaround,
 * large counted repeats) or that is over-long is not checked here: the API server checks every pattern in
 * the dry run, with Go's RE2, which is linear and whose syntax Kubernetes patterns are written in.
 */
const linearPatterns: RegExpEngine = Object.assign(
  (pattern: string): { test(value: string): boolean } => {
    if (pattern.length <= maxPatternLength) {
      try {
        return new RegExp(pattern, 'l');
      } catch {
        // not linear in V8's engine: the dry run checks it
      }
    }
    return { test: () => true };
  },
  { code: 'linearPatterns' },
);

/**
 * The `format`s checked here: those whose check is linear in the value (a fixed-shape or length-bounded
 * pattern, or a number test; each was timed against values written to make it backtrack). Any other
 * format ajv-formats knows passes here and is left to the dry run.
 *
 * Note: the class's writer picks the format and the caller writes the value, as with `pattern`.
 * ajv-formats' `url` pattern has lookaheads (so V8's linear engine cannot run it) and nested repeats:
 * "http://" and 32K "::" took 4 s of CPU per variable. `uri`, `uri-reference` and `uri-template` are
 * 2 KB patterns of the same kind; `regex` compiles the value itself.
 */
const linearFormats = ['date', 'time', 'date-time', 'iso-time', 'iso-date-time', 'duration', 'ipv4', 'ipv6', 'uuid', 'hostname', 'email', 'byte', 'int32', 'int64', 'float', 'double', 'password', 'binary'] as const;

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, code: { regExp: linearPatterns } });
// Note: ajv-formats is CommonJS; its default export arrives wrapped once under Node's ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv, formats: readonly string[]) => void;
addFormats(ajv, linearFormats);
// Known and left to the dry run: declared as passing so Ajv neither checks them nor warns of them.
for (const name of ['uri', 'uri-reference', 'uri-template', 'url', 'regex', 'json-pointer', 'json-pointer-uri-fragment', 'relative-json-pointer']) ajv.addFormat(name, true);
// Note: ajv compares the items of an array of objects pairwise (6,600 distinct one-key objects, 64 KiB,
// took 11.5 s); without the keyword ajv ignores `uniqueItems` and the dry run checks it.
ajv.removeKeyword('uniqueItems');
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/**
 * Bytes a variable value may take as JSON. Note: every value is stored in the Cluster object, which etcd
 * holds to 1.5 MiB in all; the largest real values (CA bundles, cloud-init files) are a few KiB.
 */
export const maxVariableValueBytes = 64 * 1024;

/** One line per variable whose value is larger than `maxVariableValueBytes` as JSON; empty when none is. */
export function variableSizeProblems(values: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(values).flatMap(([name, value]) => {
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
    } catch {
      return [`variable "${name}" cannot be written as JSON`]; // nested too deep for a recursive writer
    }
    return bytes > maxVariableValueBytes ? [`variable "${name}" is ${bytes} bytes as JSON; at most ${maxVariableValueBytes}`] : [];
  });
}

/** One line per value that does not match its variable's schema; empty when all do. */
export function variableProblems(definitions: readonly VariableDefinition[], values: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const definition of definitions) {
    if (!(definition.name in values) || !definition.schema?.openAPIV3Schema) continue;
    let validate: ValidateFunction;
    try {
      validate = validatorFor(definition.schema.openAPIV3Schema);
    } catch (error) {
      // A schema Ajv cannot compile is the class's problem, not the caller's: leave it to the dry run.
      continue;
    }
    if (validate(values[definition.name])) continue;
    for (const e of validate.errors ?? []) {
      problems.push(`variable "${definition.name}"${e.instancePath ? ` at ${e.instancePath}` : ''}: ${e.message ?? 'is invalid'}${e.keyword === 'enum' ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}`);
    }
  }
  return problems;
}
