/** The address a request comes from (shared/http/client-address.ts): the peer, or the client a trusted proxy forwarded for. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadServingConfig } from '../../shared/config/config.ts';
import { clientAddressBehind } from '../../shared/http/client-address.ts';

const trustedProxies = (ranges: string[]) => loadServingConfig({ CAPI_MCP_TRUSTED_PROXIES: ranges.join(',') }).trustedProxies;

describe('clientAddressBehind', () => {
  const behindIngress = clientAddressBehind(trustedProxies(['10.244.0.0/16', 'fd00::/8']));
  const table: [string, string | undefined, string | null, string | undefined][] = [
    ['the peer, when no proxy is trusted', '203.0.113.7', '198.51.100.1', undefined],
    ['the client a trusted proxy forwarded for', '10.244.1.5', '198.51.100.1', '198.51.100.1'],
    ['the peer, when a peer no one trusts claims to forward', '203.0.113.7', '198.51.100.1', '203.0.113.7'],
    ['the last untrusted hop: what the client wrote itself before it counts for nothing', '10.244.1.5', '1.2.3.4, 198.51.100.1', '198.51.100.1'],
    ['the hop before a chain of trusted proxies', '10.244.1.5', '198.51.100.1, 10.244.2.9', '198.51.100.1'],
    ['the first hop when every hop is a trusted proxy', '10.244.1.5', '10.244.3.3, 10.244.2.9', '10.244.3.3'],
    ['the proxy, when a hop is no address', '10.244.1.5', 'evil, not-an-ip', '10.244.1.5'],
    ['the proxy, when it forwarded nothing', '10.244.1.5', null, '10.244.1.5'],
    ['the client behind a proxy a dual-stack socket reports as IPv4-mapped', '::ffff:10.244.1.5', '198.51.100.1', '198.51.100.1'],
    ['the IPv6 client of an IPv6 proxy', 'fd00::12', '2001:db8::1', '2001:db8::1'],
    ['the client of a hop written with its port', '10.244.1.5', '198.51.100.1:41234', '198.51.100.1'],
    ['the client of an IPv6 hop written in brackets with its port', '10.244.1.5', '[2001:db8::1]:443', '2001:db8::1'],
  ];
  for (const [name, peer, forwarded, expected] of table) {
    it(`takes ${name}`, () => {
      const address = name.startsWith('the peer, when no proxy') ? clientAddressBehind(undefined)(peer, forwarded) : behindIngress(peer, forwarded);
      assert.equal(address, expected ?? peer);
    });
  }
});

describe('CAPI_MCP_TRUSTED_PROXIES', () => {
  it('refuses a range that trusts every address: every caller could then choose its own', () => {
    for (const everyone of ['0.0.0.0/0', '::/0']) assert.throws(() => trustedProxies([everyone]), new RegExp(`"${everyone.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" trusts every address`));
  });

  for (const bad of ['10.0.0.0/33', 'ingress', '10.0.0.1/8/1', '::1/129', '10.0.0.0/-1']) {
    it(`refuses "${bad}" at start-up, naming it`, () => assert.throws(() => trustedProxies([bad]), (error: Error) => error.message === `Environment variable CAPI_MCP_TRUSTED_PROXIES: "${bad}" is not an IP address or CIDR range`));
  }

  it('trusts no proxy when unset', () => assert.equal(loadServingConfig({}).trustedProxies, undefined));
});
