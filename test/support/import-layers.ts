/**
 * The folder-level import graph of the code that ships (shared/ and the entry points around it), and the
 * one place the layer order is written down. test/unit/import-layers.test.ts fails on a cycle or an
 * upward edge; `npm run deps` prints the graph.
 *
 * A node is a folder of shared/ (subfolders count as their top folder: shared/mcp/tools is `mcp`), a file
 * at the root of shared/ (shared/errors.ts is `errors`), or a top-level folder outside it (`functions`).
 * An edge counts the import and export-from specifiers, type-only and dynamic ones included, that reach
 * from one node into another. Only relative specifiers are read: packages are not layers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * Highest first. A node may import its own layer's other nodes and any layer below, never one above;
 * within a layer, the no-cycle check keeps the edges one way.
 */
export const layers: readonly (readonly string[])[] = [
  // Entry points and tools: they wire shared/ together and nothing in shared/ may import them.
  ['bench', 'functions', 'local', 'infra', 'sandbox'],
  ['http'],
  ['mcp'],
  // What every handler gets (shared/deps.ts): built from config, kube and a workflow engine.
  ['deps'],
  ['workflows'],
  // The pure domain and the provider registry: what a Cluster means.
  ['capi', 'providers'],
  // The only code that talks to an API server.
  ['kube'],
  // Importable by every layer, importing none above.
  ['auth', 'observability', 'config', 'errors'],
];

/** Folders whose .ts files are nodes of the graph; test/ imports anything and is not one. */
export const scannedRoots = ['shared', 'functions', 'local', 'infra', 'sandbox', 'bench'] as const;

export interface ImportSite {
  readonly file: string;
  readonly specifier: string;
}

export interface FolderGraph {
  /** `from` → `to` → the import sites that make the edge. Edges inside a node are left out. */
  readonly edges: ReadonlyMap<string, ReadonlyMap<string, readonly ImportSite[]>>;
  readonly nodes: readonly string[];
  /** Files read, repository-relative. */
  readonly files: number;
}

export const repoRoot = resolve(import.meta.dirname, '..', '..');

/** The node a repository-relative path belongs to, or undefined outside the scanned roots. */
export function nodeOf(path: string): string | undefined {
  const parts = path.split(/[\\/]/);
  const root = parts[0]!;
  if (!(scannedRoots as readonly string[]).includes(root) || parts.length < 2) return undefined;
  if (root !== 'shared') return root;
  return parts.length === 2 ? parts[1]!.replace(/\.ts$/, '') : parts[1];
}

/** Every relative specifier a TypeScript source imports or re-exports, `import type` and `import()` included. */
export function relativeSpecifiers(source: string): string[] {
  // Note: preProcessFile reads import/export-from declarations (type-only ones too) and, with the third
  // argument, import() calls, without type-checking; it is what tsc itself uses to find a file's imports.
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/** The .ts files under `dir` (repository-relative), node_modules and generated folders skipped. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'cdk.out') continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every package a TypeScript source imports (bare specifiers: `zod`, `@modelcontextprotocol/server`). */
export function packageSpecifiers(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => !s.startsWith('./') && !s.startsWith('../'));
}

/** The text of every string and template literal in a source; comments are not strings. */
export function stringLiterals(source: string): string[] {
  const out: string[] = [];
  const walk = (node: ts.Node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) out.push(node.text);
    ts.forEachChild(node, walk);
  };
  walk(ts.createSourceFile('source.ts', source, ts.ScriptTarget.Latest, true));
  return out;
}

/** The scanned files, repository-relative, with their text. */
export function readSources(): { readonly file: string; readonly source: string }[] {
  return scannedRoots.flatMap((root) => tsFiles(root)).map((file) => ({ file, source: readFileSync(join(repoRoot, file), 'utf8') }));
}

/** Builds the graph from the files on disk. */
export function readFolderGraph(): FolderGraph {
  return folderGraph(readSources());
}

/** Builds the graph from files given as repository-relative path and text (pure, for tests of the checks). */
export function folderGraph(files: readonly { readonly file: string; readonly source: string }[]): FolderGraph {
  const edges = new Map<string, Map<string, ImportSite[]>>();
  const nodes = new Set<string>();
  for (const { file, source } of files) {
    const from = nodeOf(file);
    if (from === undefined) continue;
    nodes.add(from);
    for (const specifier of relativeSpecifiers(source)) {
      const target = relative(repoRoot, resolve(repoRoot, dirname(file), specifier)).split(sep).join('/');
      const to = nodeOf(target);
      if (to === undefined || to === from) continue;
      nodes.add(to);
      const out = edges.get(from) ?? new Map<string, ImportSite[]>();
      edges.set(from, out);
      out.set(to, [...(out.get(to) ?? []), { file, specifier }]);
    }
  }
  return { edges, nodes: [...nodes].sort(), files: files.length };
}

/** Groups of nodes that reach each other (Tarjan's strongly connected components of more than one node). */
export function cycles(graph: FolderGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of [...(graph.edges.get(node)?.keys() ?? [])].sort()) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort());
  };
  for (const node of graph.nodes) if (!index.has(node)) visit(node);
  return found;
}

/** The layer of a node, 0 the highest; undefined for a node the table does not place. */
export function rankOf(node: string): number | undefined {
  const rank = layers.findIndex((layer) => layer.includes(node));
  return rank < 0 ? undefined : rank;
}

/** Each edge from a lower layer to a higher one, and each node no layer holds, as a sentence naming the import sites. */
export function layerViolations(graph: FolderGraph): string[] {
  const problems = graph.nodes.filter((n) => rankOf(n) === undefined).map((n) => `${n} is in no layer: add it to the table in test/support/import-layers.ts`);
  for (const [from, targets] of graph.edges) {
    for (const [to, sites] of targets) {
      const [fromRank, toRank] = [rankOf(from), rankOf(to)];
      if (fromRank === undefined || toRank === undefined || toRank >= fromRank) continue;
      problems.push(`${from} imports ${to}, a layer above it: ${sites.map((s) => `${s.file} → ${s.specifier}`).join(', ')}`);
    }
  }
  return problems;
}

/**
 * A strongly connected group as the shortest loops through each of its edges (`kube → providers → kube`),
 * each edge with the import sites that make it: what to cut to break the cycle.
 */
export function describeCycle(graph: FolderGraph, members: readonly string[]): string {
  const next = (n: string) => [...(graph.edges.get(n)?.keys() ?? [])].filter((m) => members.includes(m)).sort();
  const loops = new Map<string, string[]>();
  for (const from of members) {
    for (const to of next(from)) {
      // Breadth-first from `to` back to `from`: the shortest loop through this edge.
      const cameFrom = new Map<string, string>([[to, to]]);
      const queue = [to];
      while (queue.length > 0 && !cameFrom.has(from)) {
        const n = queue.shift()!;
        for (const m of next(n)) if (!cameFrom.has(m)) cameFrom.set(m, n), queue.push(m);
      }
      const path = [from];
      for (let n = from; n !== to; n = cameFrom.get(n)!) path.unshift(cameFrom.get(n)!);
      path.unshift(from);
      // path is from → to → … → from; rotated to start at its first node in name order, for dedup.
      const ring = path.slice(0, -1);
      const start = ring.indexOf([...ring].sort()[0]!);
      const canonical = [...ring.slice(start), ...ring.slice(0, start)];
      loops.set(canonical.join(' → '), [...canonical, canonical[0]!]);
    }
  }
  const lines = [`cycle among ${members.join(', ')}:`];
  for (const loop of [...loops.values()].sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()))) {
    lines.push(`  ${loop.join(' → ')}`);
    for (let i = 0; i + 1 < loop.length; i++) {
      const sites = graph.edges.get(loop[i]!)!.get(loop[i + 1]!)!;
      lines.push(`    ${loop[i]} → ${loop[i + 1]}: ${sites.map((s) => `${s.file} → ${s.specifier}`).join(', ')}`);
    }
  }
  return lines.join('\n');
}

/** One line per edge, `from → to  count`, highest layer first; upward edges marked. */
export function formatGraph(graph: FolderGraph): string {
  const order = (n: string) => [rankOf(n) ?? -1, n] as const;
  const byLayer = (a: string, b: string) => {
    const [ra, na] = order(a);
    const [rb, nb] = order(b);
    return ra - rb || na.localeCompare(nb);
  };
  const lines = [`layers (highest first): ${layers.map((l) => l.join(' ')).join(' > ')}`, `${graph.files} files, ${graph.nodes.length} nodes`];
  for (const from of [...graph.edges.keys()].sort(byLayer)) {
    for (const to of [...graph.edges.get(from)!.keys()].sort(byLayer)) {
      const count = graph.edges.get(from)!.get(to)!.length;
      const upward = (rankOf(to) ?? 0) < (rankOf(from) ?? 0) ? '  ← UPWARD' : '';
      lines.push(`  ${from.padEnd(13)} → ${to.padEnd(13)} ${String(count).padStart(3)}${upward}`);
    }
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const graph = readFolderGraph();
  console.log(formatGraph(graph));
  const problems = [...cycles(graph).map((c) => describeCycle(graph, c)), ...layerViolations(graph)];
  if (problems.length > 0) {
    console.log(`\n${problems.length} problem(s):\n${problems.join('\n')}`);
    process.exitCode = 1;
  } else console.log('\nno cycle, no upward edge');
}
