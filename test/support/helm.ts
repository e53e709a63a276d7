/**
 * deploy/charts/capi-mcp as Helm renders it (the pinned Helm of sandbox/helm.ts, built on first use): the
 * chart tests check what it renders, and the container test runs the server as its Deployment says.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../sandbox/layout.ts';
import { ensureHelm } from '../../sandbox/helm.ts';

export const chartDir = join(repoRoot, 'deploy', 'charts', 'capi-mcp');

/** A rendered object: only what every Kubernetes object has is typed. */
export interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

let binary: Promise<string> | undefined;

/** Runs Helm with `args`; rejects with Helm's own message when it fails. */
export async function helm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  binary ??= ensureHelm((line) => process.stderr.write(`[helm] ${line}\n`));
  try {
    return await promisify(execFile)(await binary, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: helmHome, HELM_CONFIG_HOME: helmHome, HELM_DATA_HOME: helmHome } });
  } catch (error: any) {
    throw new Error(`helm ${args.join(' ')}: ${error.stderr || error.message}`);
  }
}

// Note: Helm keeps repositories and caches in the user's folders; the tests need none of them.
const helmHome = mkdtempSync(join(tmpdir(), 'capi-mcp-helm-'));

/** `values` as a file Helm reads (JSON is YAML). */
export function valuesFile(values: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'capi-mcp-values-')), 'values.yaml');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

/** The chart rendered by `helm template` as release `release` in `namespace` with `values`. */
export async function renderChart(release: string, namespace: string, values: Record<string, unknown> = {}): Promise<Rendered[]> {
  const { stdout } = await helm('template', release, chartDir, '--namespace', namespace, '--values', valuesFile(values));
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
}

/** The one object of `kind` in `objects`. */
export function theOne(objects: readonly Rendered[], kind: string): Rendered {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0]!;
}
