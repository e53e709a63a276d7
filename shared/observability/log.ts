/**
 * Structured logs and audit records: Powertools' JSON logger (what CloudWatch Logs Insights and the
 * Lambda runtime expect), with every field passed through the redaction layer first. Audit records are
 * log lines with `audit: true`, one per tool call, so they land in the same place and can be queried
 * with `filter audit = 1`.
 */
import { Console } from 'node:console';
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
    audit: (record) => emit('info', 'tool call', { audit: true, ...record }),
  };
}

/** Discards everything: for code paths with nothing to say (unit tests of other concerns). */
export const silentLog: Log = { info() {}, warn() {}, error() {}, audit() {} };
