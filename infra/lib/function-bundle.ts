/**
 * How a capi-mcp Lambda function's code is built: esbuild, ESM for Node.js 24, minified, with source maps
 * (names and positions only), every dependency bundled (the AWS SDK too, so the deployed code runs the
 * SDK version the tests ran), and split into chunks. The one source of these settings: CDK bundles each
 * function with `bundleFunction` (infra/lib/node-function.ts) and the cold-start bench bundles with it too,
 * so the bench measures what ships.
 *
 * Note: code splitting is the cold-start choice. Node compiles a whole module file before running any of
 * it, and with --enable-source-maps parses a file's whole map the first time a stack is formatted through
 * it (Node's web streams format one on the first reader release of every process). With one file, a cold
 * start that answers only discovery and tools/list paid for @kubernetes/client-node, undici, the Step
 * Functions client, yaml and ajv it never runs; split, each `import()` of the code is a chunk loaded on the
 * first call that needs it.
 */
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** The file Lambda imports (handler `index.handler`); chunks live beside it under chunks/. */
export const entryFile = 'index.mjs';

/** The handler.ts of functions/<name>. */
export function functionEntry(name: string): string {
  return join(repoRoot, 'functions', name, 'handler.ts');
}

/** The esbuild options that bundle `entry` into `outdir`. */
export function functionBuildOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    sourcemap: true,
    // Stack traces need names and positions, not the sources: a map without them is a fraction of the
    // size, and Node reads (and on the first formatted stack, parses) the map of every chunk it loads.
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // Some dependencies still call require(); give every ESM chunk one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
    metafile: true,
  };
}

/** Bundles functions/<name>/handler.ts into `outdir` (synchronously: CDK's local bundling hook is). */
export function bundleFunction(name: string, outdir: string): Metafile {
  return buildSync(functionBuildOptions(functionEntry(name), outdir)).metafile!;
}
