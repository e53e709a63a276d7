/**
 * The address a request comes from, for throttling and audit (never for authentication): the connection's
 * peer, or — when that peer is a proxy the operator named (CAPI_MCP_TRUSTED_PROXIES: an Ingress controller,
 * a load balancer) — the client it forwarded for, read from `X-Forwarded-For` right to left, skipping the
 * trusted proxies: the first address no trusted proxy vouches for is the client. Note: the header is the
 * client's to write, so only what trusted proxies appended counts; from any other peer it is ignored.
 */
import { isIP, type BlockList } from 'node:net';

export type ClientAddress = (peer: string | undefined, forwardedFor: string | null) => string | undefined;

/** The client address of a request whose peer is `peer`, given the trusted proxies (none: always the peer). */
export function clientAddressBehind(trusted: BlockList | undefined): ClientAddress {
  return (peer, forwardedFor) => {
    if (!trusted || peer === undefined || !isTrusted(trusted, peer) || !forwardedFor) return peer;
    const hops = forwardedFor.split(',').map((h) => unmapped(withoutPort(h.trim())));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      // Note: a hop that is no address was written by someone no trusted proxy checked: stop at the proxy.
      if (isIP(hop) === 0) return peer;
      if (!isTrusted(trusted, hop)) return hop;
    }
    return hops[0];
  };
}

function isTrusted(trusted: BlockList, address: string): boolean {
  const plain = unmapped(address);
  const family = isIP(plain);
  return family !== 0 && trusted.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

/** A hop as some proxies write it, with a port ("203.0.113.7:41234", "[2001:db8::1]:443"), as the address alone. */
function withoutPort(hop: string): string {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  if (v4) return v4[1]!;
  const v6 = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(hop);
  return v6 ? v6[1]! : hop;
}

/** An IPv4 address as a dual-stack socket reports it (::ffff:10.0.0.5) in its plain form. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}
