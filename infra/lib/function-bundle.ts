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
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
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
    plugins: [zodEnglishOnly, listedJsonSchemas],
  };
}

/**
 * zod's error messages in English only. Note: `import { z } from 'zod'` is a namespace that also
 * exports every locale (`z.locales`), which esbuild cannot tree-shake: 48 translations, 250 KiB of a
 * cold start's code, none of them used (zod configures English itself).
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, ({ path }) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(path),
      loader: 'js',
    }));
  },
};

/**
 * The tools' JSON Schemas for tools/list, converted at build time (shared/mcp/server.ts
 * `listedJsonSchemas`) and defined as CAPI_MCP_LISTED_JSON_SCHEMAS, a JSON string the server parses on
 * its first tools/list. Note: zod's conversion of 17 tools' input and output schemas was ~15 ms of every
 * cold start's first tools/list; the schemas are constants of the code being bundled, so the result is
 * the same as converting them in the function.
 */
const listedJsonSchemas: Plugin = {
  name: 'listed-json-schemas',
  async setup(build) {
    const server = (await import('../../shared/mcp/server.ts')) as typeof import('../../shared/mcp/server.ts');
    build.initialOptions.define = { ...build.initialOptions.define, CAPI_MCP_LISTED_JSON_SCHEMAS: JSON.stringify(JSON.stringify(server.listedJsonSchemas())) };
  },
};

/**
 * Bundles functions/<name>/handler.ts into `outdir`, synchronously as CDK's local bundling hook must:
 * in a child process, since esbuild runs plugins only in its asynchronous API.
 */
export function bundleFunction(name: string, outdir: string): Metafile {
  const metafile = execFileSync(process.execPath, [fileURLToPath(import.meta.url), name, outdir], { encoding: 'utf8', maxBuffer: 2 ** 28, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(metafile) as Metafile;
}

// `node infra/lib/function-bundle.ts <name> <outdir>`: bundleFunction's child; prints the metafile.
if (import.meta.main) {
  const [name, outdir] = process.argv.slice(2);
  const { metafile } = await build(functionBuildOptions(functionEntry(name!), outdir!));
  process.stdout.write(JSON.stringify(metafile));
}
