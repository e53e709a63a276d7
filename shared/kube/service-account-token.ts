/**
 * The bearer token of the ServiceAccount a pod runs as, read from the file Kubernetes mounts and read
 * again each minute, so the kubelet's rotation of a projected token is followed (client-go does the same).
 *
 * Note: not client-node's own token-file provider: that one sends whatever the file holds, and a file with
 * a line break inside made undici's header check quote the whole file in an error that reaches the agent
 * and the logs. This one sends only what reads as one token, never quotes the file, and keeps the token it
 * has when a re-read fails (a rotation caught half-written), instead of failing every call until the next.
 */
import { readFile } from 'node:fs/promises';
import type { User } from '@kubernetes/client-node';
import { CapiMcpError, ErrorCode } from '../errors.ts';

/** The auth-provider name a KubeConfig user carries to be authenticated by {@link ServiceAccountToken}. */
export const serviceAccountAuthProvider = 'capi-mcp-service-account';

/** How often the file is read again. */
const rereadMs = 60_000;

/** A JWT or a legacy token: base64url and its separators, nothing that could end a header. */
const tokenPattern = /^[A-Za-z0-9._~+/=-]{1,16384}$/;

export class ServiceAccountToken {
  private token: string | undefined;
  private readAt = 0;
  private readonly path: string;
  private readonly now: () => number;

  constructor(path: string, now: () => number = Date.now) {
    this.path = path;
    this.now = now;
  }

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === serviceAccountAuthProvider;
  }

  async applyAuthentication(_user: User, opts: { headers?: Record<string, string> }): Promise<void> {
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${await this.current()}`;
  }

  /** The token, read again once it is older than a minute; the one it has when a re-read fails. */
  async current(): Promise<string> {
    if (this.token !== undefined && this.now() - this.readAt < rereadMs) return this.token;
    try {
      this.token = await this.read();
      this.readAt = this.now();
    } catch (error) {
      if (this.token === undefined) throw error;
    }
    return this.token;
  }

  private async read(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new CapiMcpError(ErrorCode.Upstream, `cannot read the ServiceAccount token file ${this.path}: ${(error as NodeJS.ErrnoException).code ?? 'read failed'}`);
    }
    const token = text.trim();
    if (!tokenPattern.test(token)) throw new CapiMcpError(ErrorCode.Upstream, `the ServiceAccount token file ${this.path} does not hold one token`);
    return token;
  }
}
