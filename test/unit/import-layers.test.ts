/**
 * Imports flow one way (STYLE.md 8): http → mcp → deps → workflows → capi / providers → kube, with auth,
 * observability, config and errors at the bottom, and the entry points (functions, local, infra, bench,
 * sandbox) above all of shared/. The layer table is test/support/import-layers.ts; `npm run deps` prints
 * the graph these tests check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cycles,
  describeCycle,
  folderGraph,
  formatGraph,
  layerViolations,
  nodeOf,
  packageSpecifiers,
  rankOf,
  readFolderGraph,
  readSources,
  stringLiterals,
} from '../support/import-layers.ts';
import { tools } from '../../shared/mcp/registry.ts';

describe('the import graph checks', () => {
  const nodes: [string, string, string | undefined][] = [
    ['a folder of shared/ is its own node', 'shared/kube/client.ts', 'kube'],
    ['a subfolder counts as its top folder', 'shared/mcp/tools/get-cluster.ts', 'mcp'],
    ['a file at the root of shared/ is a node named after it', 'shared/errors.ts', 'errors'],
    ['an entry point folder is one node', 'functions/mcp/handler.ts', 'functions'],
    ['tests are not part of the graph', 'test/unit/auth.test.ts', undefined],
  ];
  for (const [name, path, node] of nodes) it(name, () => assert.equal(nodeOf(path), node));

  it('counts type-only imports, import() types, export-from and import() as edges, and nothing inside a node', () => {
    // Prepare
    const graph = folderGraph([
      { file: 'shared/capi/a.ts', source: "import type { K } from '../kube/client.ts';\nimport { b } from './b.ts';\ntype L = import('../kube/kinds.ts').Ref;" },
      { file: 'shared/capi/b.ts', source: "export { x } from '../errors.ts';\nconst later = () => import('../kube/eks.ts');" },
      { file: 'shared/capi/c.ts', source: "import { z } from 'zod';\n// import '../mcp/tool.ts' is a comment" },
    ]);

    // Assess
    assert.deepEqual([...graph.edges.get('capi')!].map(([to, sites]) => [to, sites.length]), [['kube', 3], ['errors', 1]]);
  });

  it('finds a cycle between two folders and names the imports that close it', () => {
    // Prepare
    const graph = folderGraph([
      { file: 'shared/capi/direct-scale.ts', source: "import type { Expectation } from '../workflows/operation.ts';" },
      { file: 'shared/workflows/operation.ts', source: "import { getCondition } from '../capi/conditions.ts';" },
    ]);

    // Act
    const found = cycles(graph);

    // Assess
    assert.deepEqual(found, [['capi', 'workflows']]);
    assert.match(describeCycle(graph, found[0]!), /capi → workflows → capi\n.*shared\/capi\/direct-scale\.ts → \.\.\/workflows\/operation\.ts/);
  });

  it('finds a cycle that goes through three folders', () => {
    const graph = folderGraph([
      { file: 'shared/capi/a.ts', source: "import '../providers/b.ts';" },
      { file: 'shared/providers/b.ts', source: "import '../kube/c.ts';" },
      { file: 'shared/kube/c.ts', source: "import '../capi/a.ts';" },
    ]);
    assert.deepEqual(cycles(graph), [['capi', 'kube', 'providers']]);
  });

  it('reports an edge from a lower layer to a higher one, with its import site, even without a cycle', () => {
    const graph = folderGraph([{ file: 'shared/auth/scopes.ts', source: "import type { ToolAnnotations } from '../mcp/tool.ts';" }]);
    assert.deepEqual(cycles(graph), []);
    assert.deepEqual(layerViolations(graph), ['auth imports mcp, a layer above it: shared/auth/scopes.ts → ../mcp/tool.ts']);
  });

  it('accepts edges downward and within a layer', () => {
    const graph = folderGraph([
      { file: 'shared/mcp/tool.ts', source: "import '../auth/scopes.ts';\nimport '../kube/client.ts';" },
      { file: 'shared/capi/topology.ts', source: "import '../providers/registry.ts';" },
      { file: 'shared/auth/key-store.ts', source: "import '../errors.ts';" },
    ]);
    assert.deepEqual(layerViolations(graph), []);
  });

  it('refuses a node no layer holds, so a new folder must be placed', () => {
    const graph = folderGraph([{ file: 'shared/cache/lru.ts', source: "import '../errors.ts';" }]);
    assert.deepEqual(layerViolations(graph), ['cache is in no layer: add it to the table in test/support/import-layers.ts']);
  });

  it('reads string literals but not comments', () => {
    assert.deepEqual(stringLiterals("// call get_cluster\nconst a = 'call list_clusters';\nconst b = `x ${a} call get_cluster y`;"), [
      'call list_clusters',
      'x ',
      ' call get_cluster y',
    ]);
  });
});

describe('the layers of shared/', () => {
  const graph = readFolderGraph();

  it('form no folder-level cycle', (t) => {
    t.diagnostic(`\n${formatGraph(graph)}`);
    const found = cycles(graph);
    assert.equal(found.length, 0, found.map((c) => describeCycle(graph, c)).join('\n'));
  });

  it('import only their own layer and the layers below', () => {
    const problems = layerViolations(graph);
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  // MCP wire concerns stay in mcp/ (STYLE.md 8): a kube or workflow module that names a tool knows the
  // layer above it, even without an import. The names come from the registry, so a new tool is covered.
  it('name no MCP tool below mcp/ (a hint naming a tool is phrased by the mcp layer)', () => {
    const below = (file: string) => file.startsWith('shared/') && (rankOf(nodeOf(file)!) ?? 0) > rankOf('mcp')!;
    const names = tools.map((tool) => tool.name);
    const found: string[] = [];
    for (const { file, source } of readSources().filter((f) => below(f.file))) {
      for (const text of stringLiterals(source)) {
        for (const name of names) if (new RegExp(`(^|[^a-z_])${name}($|[^a-z_])`).test(text)) found.push(`${file}: "${text}" names ${name}`);
      }
    }
    assert.deepEqual(found, [], found.join('\n'));
  });

  // Note: zod parses the config and the key store's file (bottom layers); in capi/ a zod schema is a
  // tool's wire schema (trimmed for tools/list), which belongs to mcp/.
  it('keep MCP packages in mcp/ and above, and zod schemas out of the pure domain', () => {
    const found: string[] = [];
    for (const { file, source } of readSources().filter((f) => f.file.startsWith('shared/'))) {
      const node = nodeOf(file)!;
      for (const pkg of packageSpecifiers(source)) {
        if (pkg.startsWith('@modelcontextprotocol/') && (rankOf(node) ?? 0) > rankOf('mcp')!) found.push(`${file} imports ${pkg}`);
        if (pkg === 'zod' && node === 'capi') found.push(`${file} imports ${pkg}`);
      }
    }
    assert.deepEqual(found, [], found.join('\n'));
  });
});
