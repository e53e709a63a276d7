/**
 * Structured logs and audit records: Powertools' JSON logger (what CloudWatch Logs Insights and the
 * Lambda runtime expect), with every field passed through the redaction layer first. Audit records are
 * log lines with `audit: true`, one per tool call, so they land in the same place and can be queried
 * with `filter audit = 1`.
 */
import { Console } from 'node:console';
import { createHash } from 'node:crypto';
import { openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';
import { redact, redactText } from './redact.ts';

export interface AuditRecord {
  readonly requestId: string;
  readonly keyId: string;
  readonly tool: string;
  readonly arguments: unknown;
  /** `namespace/name` of the cluster the call was about, when it named one. */
  readonly cluster?: string;
  readonly outcome: 'ok' | 'error' | 'denied';
  /** The error code or refusal reason when the outcome is not ok. */
  readonly reason?: string;
  readonly durationMs: number;
}

/** An audited string longer than this (UTF-8 bytes) is cut to its first characters, its size and its digest. */
export const maxAuditStringBytes = 4096;

/**
 * The audited arguments as a whole (JSON bytes), past which they are cut the same way: a record stays far
 * under CloudWatch Logs' 256 KiB event limit, which would otherwise split or drop it.
 */
export const maxAuditArgumentsBytes = 32 * 1024;

export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  audit(record: AuditRecord): void;
}

export interface LogOptions {
  readonly level?: string;
  /** Append JSON lines to this file instead of stdout (tests collect them to scan for leaks). */
  readonly file?: string;
}

export function createLog(options: LogOptions = {}): Log {
  const logger = new Logger({ serviceName: 'capi-mcp', logLevel: (options.level ?? 'INFO') as never });
  if (options.file) {
    // Note: written synchronously, so a record is on disk before the call that wrote it returns (an audit
    // record before the tool's answer goes out): whoever reads the file after an answer sees its record.
    // The file is a local and test sink (Lambda logs to stdout); a line per call costs microseconds.
    const fd = openSync(options.file, 'a', 0o600);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writeSync(fd, chunk);
        done();
      },
    });
    // Note: Powertools offers no output option; its console is the one seam, swapped here for a file.
    (logger as unknown as { console: Console }).console = new Console({ stdout: sink, stderr: sink });
  }
  const emit = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
    logger[level](redactText(message), (fields ? redact(fields) : {}) as Record<string, unknown>);
  return {
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    // Redaction first, so what is cut, previewed and hashed is already free of secrets.
    // The tool name and cluster are checked values when the call got that far, but a refused call's are as
    // sent: bounded like an argument string, so no record can outgrow CloudWatch's event limit.
    audit: (record) =>
      emit('info', 'tool call', {
        audit: true,
        ...record,
        tool: capStrings(record.tool),
        ...(record.cluster !== undefined ? { cluster: capStrings(record.cluster) } : {}),
        arguments: boundedAuditArguments(redact(record.arguments)),
      }),
  };
}

/** Characters of a cut string, and of cut arguments as a whole, that the record keeps. */
const previewChars = { string: 256, arguments: 1024 } as const;

/**
 * `value` (redacted) with every string over maxAuditStringBytes cut, and the whole cut again when its
 * JSON is still over maxAuditArgumentsBytes (many strings, or many keys). A cut keeps the start, the size
 * in bytes and the SHA-256 of the redacted text: enough to tell calls apart and match a known input.
 */
function boundedAuditArguments(value: unknown): unknown {
  const capped = capStrings(value);
  const json = JSON.stringify(capped) ?? 'null';
  return Buffer.byteLength(json) <= maxAuditArgumentsBytes ? capped : cut(json, previewChars.arguments);
}

function capStrings(value: unknown): unknown {
  // Note: measured as JSON, which is what the record is: a control character takes 6 bytes there.
  if (typeof value === 'string') return Buffer.byteLength(JSON.stringify(value)) - 2 > maxAuditStringBytes ? cut(value, previewChars.string) : value;
  if (value === null || typeof value !== 'object') return value;
  // Note: redact has already bounded the depth (and replaced cycles), so this recursion is shallow.
  if (Array.isArray(value)) return value.map(capStrings);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [capStrings(key) as string, capStrings(v)]));
}

function cut(text: string, keep: number): string {
  const digest = createHash('sha256').update(text).digest('hex');
  return `${text.slice(0, keep)}… [${Buffer.byteLength(text)} bytes, sha256 ${digest}]`;
}

/** Discards everything: for code paths with nothing to say (unit tests of other concerns). */
export const silentLog: Log = { info() {}, warn() {}, error() {}, audit() {} };
