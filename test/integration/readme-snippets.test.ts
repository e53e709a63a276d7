/**
 * The README's connection snippets, taken from README.md itself and run against a live local adapter:
 * the TypeScript client block, the MCP Inspector command and the Claude Code command (followed by
 * `claude mcp list`, whose health check connects to the server), each reading the API key where the
 * README says `npm start` leaves it. If the README drifts, this fails.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../sandbox/layout.ts';
import { testApiKey } from '../support/auth.ts';
import { startTestServer } from '../support/mcp.ts';

const execFileAsync = promisify(execFile);
const url = await startTestServer();
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const documentedUrl = 'http://127.0.0.1:8080/mcp';
const env = { ...process.env, PATH: `${join(repoRoot, 'node_modules', '.bin')}:${process.env.PATH}` };

/**
 * A folder inside the checkout (npx finds the pinned bins from it) laid out as after a first
 * `npm start`: `.capi-mcp/local-api-key` holds a key (the run's canary), so the documented commands
 * that read it run unchanged from there.
 */
const userDir = join(repoRoot, '.capi-mcp', 'snippets', 'user');
mkdirSync(join(userDir, '.capi-mcp'), { recursive: true });
writeFileSync(join(userDir, '.capi-mcp', 'local-api-key'), `${testApiKey()}\n`, { mode: 0o600 });

/** The first line of README.md that starts with `prefix` inside backticks, with the URL pointed at the test server. */
function documentedCommand(prefix: string): string {
  const line = readme.split('\n').find((l) => l.includes(`\`${prefix}`));
  assert.ok(line, `README has no \`${prefix}…\` command`);
  const command = /`([^`]+)`/.exec(line.slice(line.indexOf(`\`${prefix}`)))![1]!;
  assert.ok(command.includes(documentedUrl), `the documented command uses ${documentedUrl}`);
  return command.replace(documentedUrl, url.href);
}

/** Runs a documented command as a user's shell would (its `$(cat …)` included), from `cwd`. */
const shell = (command: string, options: { env: NodeJS.ProcessEnv; cwd?: string; timeout?: number }) =>
  execFileAsync('bash', ['-c', command], { cwd: userDir, ...options });

describe('README connection snippets', () => {
  it('the TypeScript client block connects and lists clusters', async () => {
    const block = /A TypeScript client[^\n]*\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(block, 'README has the TypeScript client block');
    assert.ok(block.includes(documentedUrl));
    const dir = join(repoRoot, '.capi-mcp', 'snippets');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'client.ts');
    writeFileSync(file, `${block.replace(documentedUrl, url.href)}\nconsole.log(JSON.stringify(structuredContent));\nawait client.close();\n`);
    const { stdout } = await execFileAsync(process.execPath, [file], { env, cwd: userDir });
    assert.ok(Array.isArray(JSON.parse(stdout).clusters));
  });

  it('the MCP Inspector command lists the tools', async () => {
    const command = documentedCommand('npx mcp-inspector');
    assert.match(command, /--header "Authorization: Bearer \$\(cat \.capi-mcp\/local-api-key\)"/);
    const { stdout } = await shell(command, { env: { ...env, MCP_CATALOG_PATH: join(mkdtempSync(join(tmpdir(), 'insp-')), 'mcp.json') } });
    assert.ok(JSON.parse(stdout).tools.some((t: { name: string }) => t.name === 'list_clusters'));
  });

  it('the Claude Code command adds a server that Claude Code reports as connected', async () => {
    const command = documentedCommand('claude mcp add');
    const home = mkdtempSync(join(tmpdir(), 'claude-home-'));
    const claudeEnv = { ...env, HOME: home };
    await shell(command, { env: claudeEnv });
    const { stdout } = await shell('claude mcp list', { env: claudeEnv, timeout: 60_000 });
    assert.match(stdout, new RegExp(`capi: ${url.href.replace(/[.]/g, '\\.')} \\(HTTP\\) - ✔ Connected`));
  });
});
