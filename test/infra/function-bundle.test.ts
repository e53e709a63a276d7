/**
 * What a cold start of the MCP function loads: the entry chunk of its bundle (infra/lib/function-bundle.ts,
 * as CDK builds it) and the chunks that one imports statically. Discovery and tools/list run nothing of
 * the Kubernetes client, its HTTP client, the Step Functions client, Ajv or the YAML parser, so each must sit in a chunk
 * only an `import()` reaches — loaded by the first tool call that needs it. Nor do they need the Secrets
 * Manager client (loaded when the key store is first read) or the Tracer and X-Ray SDK (loaded by the
 * first invocation X-Ray samples, in Lambda): the second part of this file proves the traces still right.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { bundleFunction, entryFile } from '../../infra/lib/function-bundle.ts';
import { createKey } from '../../shared/auth/key-admin.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { repoRoot } from '../../sandbox/layout.ts';

const execFileAsync = promisify(execFile);

/** The packages (node_modules names) in the outputs a static import of `entry` loads. */
function packagesLoadedBy(metafile: Metafile, entry: string): Set<string> {
  const loaded = new Set([entry]);
  for (const output of loaded) {
    for (const { path, kind } of metafile.outputs[output]!.imports) if (kind === 'import-statement' && path in metafile.outputs) loaded.add(path);
  }
  const packages = new Set<string>();
  for (const output of loaded) {
    for (const input of Object.keys(metafile.outputs[output]!.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      if (match) packages.add(match[1]!);
    }
  }
  return packages;
}

/** Every package anywhere in the bundle. */
function packagesBundled(metafile: Metafile): Set<string> {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    if (match) packages.add(match[1]!);
  }
  return packages;
}

describe('the MCP function bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'capi-mcp-bundle-'));
  const metafile = bundleFunction('mcp', outdir);
  const entry = relative(process.cwd(), join(outdir, entryFile));
  const atColdStart = packagesLoadedBy(metafile, entry);
  const bundled = packagesBundled(metafile);
  const zodLocales = Object.keys(metafile.inputs).filter((input) => /zod\/v4\/locales\/(?!index\.js$)/.test(input)).map((input) => input.replace(/.*\//, ''));
  rmSync(outdir, { recursive: true, force: true });

  it('loads the MCP SDK and zod at cold start, as the hello-world server does', () => {
    for (const name of ['@modelcontextprotocol/server', 'zod']) assert.ok(atColdStart.has(name), `${name} is loaded at cold start`);
  });

  it("bundles zod's English messages and no other locale", () => {
    assert.deepEqual(zodLocales, ['en.js']);
  });

  const deferred = ['@kubernetes/client-node', 'undici', '@aws-sdk/client-sfn', 'ajv', 'yaml'];
  const deferredAws = ['@aws-sdk/client-secrets-manager', '@smithy/core', '@aws-lambda-powertools/tracer', 'aws-xray-sdk-core'];
  for (const name of [...deferred, ...deferredAws]) {
    it(`keeps ${name} out of a cold start, in a chunk the first call that needs it loads`, () => {
      assert.ok(bundled.has(name), `${name} is in the bundle`);
      assert.ok(!atColdStart.has(name), `${name} is loaded at cold start`);
    });
  }
});

/**
 * The bundled MCP function as Lambda runs it with active tracing: a fresh Node process per container,
 * the handler imported as the runtime imports `index.handler`, the environment Lambda sets, and an X-Ray
 * daemon address where this test listens for the UDP documents the X-Ray SDK sends.
 */
const outdir = mkdtempSync(join(tmpdir(), 'capi-mcp-bundle-run-'));
bundleFunction('mcp', outdir);
after(() => rmSync(outdir, { recursive: true, force: true }));

describe('the MCP function bundle in Lambda with X-Ray', () => {
  const root = '1-5759e988-bd862e3fe1be46a994272793';
  const healthz = {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/healthz',
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com' },
    requestContext: { requestId: 'xray', http: { method: 'GET', path: '/healthz', sourceIp: '203.0.113.7' } },
    isBase64Encoded: false,
  };

  /** `invocations` answers of one container (each with its own trace header) and the documents sent to the daemon. */
  async function container(sampled: readonly boolean[]) {
    const daemon = createSocket('udp4');
    const documents: Record<string, any>[] = [];
    daemon.on('message', (message) => documents.push(JSON.parse(message.toString('utf8').split('\n')[1]!)));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    try {
      // Note: the Node.js runtime sets _X_AMZN_TRACE_ID before each invocation; the child does the same.
      const script = `const { handler } = await import(${JSON.stringify(join(outdir, entryFile))});
const answers = [];
for (const [i, sampled] of ${JSON.stringify(sampled)}.entries()) {
  process.env._X_AMZN_TRACE_ID = 'Root=${root};Parent=53995c3f42cd8a' + String(i).padStart(2, '0') + ';Sampled=' + (sampled ? 1 : 0);
  answers.push((await handler(${JSON.stringify(healthz)})).statusCode);
}
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write('\\nANSWERS ' + JSON.stringify(answers) + '\\n');`;
      const { stdout, stderr } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: '--enable-source-maps',
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
          AWS_LAMBDA_FUNCTION_NAME: 'capi-mcp-test',
          AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
          AWS_REGION: 'eu-west-1',
          LAMBDA_TASK_ROOT: outdir,
          _HANDLER: 'index.handler',
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
          AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
          CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'test', kubeconfig: join(outdir, 'kubeconfig') }]),
          CAPI_MCP_API_KEYS_FILE: join(outdir, 'keys.json'),
        },
      });
      const answers = JSON.parse(/^ANSWERS (.*)$/m.exec(stdout)?.[1] ?? 'null') as number[] | null;
      return { answers, documents, stderr };
    } finally {
      daemon.close();
    }
  }

  it('runs a sampled invocation in a "## index.handler" subsegment annotated ColdStart and Service, the cold start once', async () => {
    const { answers, documents, stderr } = await container([true, true]);
    assert.deepEqual(answers, [200, 200]);
    const handlers = documents.filter((d) => d.name === '## index.handler');
    assert.equal(handlers.length, 2, `two handler subsegments sent; got ${JSON.stringify(documents)}`);
    assert.deepEqual(
      handlers.map((d) => ({ trace: d.trace_id, parent: d.parent_id, annotations: d.annotations })),
      [
        { trace: root, parent: '53995c3f42cd8a00', annotations: { ColdStart: true, Service: 'capi-mcp' } },
        { trace: root, parent: '53995c3f42cd8a01', annotations: { ColdStart: false, Service: 'capi-mcp' } },
      ],
    );
    assert.doesNotMatch(stderr, /cannot annotate/i);
  });

  it('sends nothing for an unsampled invocation, and does not call the next, sampled one a cold start', async () => {
    const { answers, documents } = await container([false, true]);
    assert.deepEqual(answers, [200, 200]);
    const handlers = documents.filter((d) => d.name === '## index.handler');
    assert.deepEqual(
      handlers.map((d) => ({ parent: d.parent_id, annotations: d.annotations })),
      [{ parent: '53995c3f42cd8a01', annotations: { ColdStart: false, Service: 'capi-mcp' } }],
    );
  });
});

/**
 * A cold start as the bench measures it (bench/cold-start.ts): a fresh process under --enable-source-maps
 * answers server/discover and tools/list. Node parses a chunk's source map the first time it formats a
 * stack with a frame in that chunk, so a cold start that formats none parses no map — ~1 MB for the main
 * chunk. The child's Error.prepareStackTrace (which Node calls in place of its source-mapped one) records
 * every stack formatted with a frame in the bundle. The bundle also carries the tools' JSON Schemas,
 * converted at build time: its tools/list must be the one the function answers run from source.
 */
describe('a cold start of the MCP function bundle', () => {
  const keys = join(outdir, 'cold-start-keys.json');
  const token = createKey(new FileKeyStore(keys), { name: 'cold-start', scopes: ['admin'] }).then((created) => created.token);
  const request = (token: string, method: string, id: number) => ({
    version: '2.0',
    routeKey: '$default',
    rawPath: '/mcp',
    rawQueryString: '',
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      authorization: `Bearer ${token}`,
    },
    requestContext: { requestId: `cold-${id}`, http: { method: 'POST', path: '/mcp', sourceIp: '203.0.113.7' } },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'cold-start-test', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
    isBase64Encoded: false,
  });

  /** server/discover then tools/list in a fresh process importing `handlerFile`: their results, and the stacks formatted through the bundle. */
  async function coldStart(handlerFile: string) {
    const events = [request(await token, 'server/discover', 1), request(await token, 'tools/list', 2)];
    const script = `const bundle = ${JSON.stringify(pathToFileURL(outdir).href)};
const formatted = [];
Error.prepareStackTrace = (error, frames) => {
  if (frames.some((frame) => frame.getFileName()?.startsWith(bundle))) formatted.push(String(error.message));
  return [String(error), ...frames.map((frame) => '    at ' + frame)].join('\\n');
};
const { handler } = await import(${JSON.stringify(handlerFile)});
const answers = [];
for (const event of ${JSON.stringify(events)}) {
  const { statusCode, body } = await handler(event);
  answers.push([statusCode, JSON.parse(body.split('\\n').find((l) => l.startsWith('data: '))?.slice(6) ?? body)]);
}
process.stdout.write('\\nRESULT ' + JSON.stringify({ answers, formatted }) + '\\n');`;
    const { stdout } = await execFileAsync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'test', kubeconfig: join(outdir, 'kubeconfig') }]),
        CAPI_MCP_API_KEYS_FILE: keys,
        CAPI_MCP_READ_ONLY: 'false',
        CAPI_MCP_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:capi-mcp-test',
        CAPI_MCP_LOG_FILE: join(outdir, 'cold-start.log'),
      },
    });
    const { answers, formatted } = JSON.parse(/^RESULT (.*)$/m.exec(stdout)![1]!) as { answers: [number, any][]; formatted: string[] };
    assert.deepEqual(
      answers.map(([status, message]) => [status, message.result ? 'result' : JSON.stringify(message).slice(0, 300)]),
      [
        [200, 'result'],
        [200, 'result'],
      ],
    );
    return { discover: answers[0]![1].result, toolsList: answers[1]![1].result, formatted };
  }

  it('formats no stack through the bundle while it answers server/discover and tools/list', async () => {
    const { formatted } = await coldStart(join(outdir, entryFile));
    assert.deepEqual(formatted, [], "stacks formatted through the bundle (each parses its chunks' source maps)");
  });

  it('lists the tools, schemas and all, as the function run from source does', async () => {
    const [bundled, source] = await Promise.all([coldStart(join(outdir, entryFile)), coldStart(join(repoRoot, 'functions', 'mcp', 'handler.ts'))]);
    assert.equal(source.toolsList.tools.length, 17);
    assert.deepEqual(bundled.toolsList, source.toolsList);
  });
});
