import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../src/policy/address-guard.js';

const strict = { allowLoopback: false };
const loopbackOk = { allowLoopback: true };

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'address_loopback'],
    ['127.255.1.2', 'address_loopback'],
    ['::1', 'address_loopback'],
    ['10.1.2.3', 'address_private'],
    ['172.16.0.1', 'address_private'],
    ['172.31.255.255', 'address_private'],
    ['192.168.1.1', 'address_private'],
    ['100.64.0.1', 'address_private'],
    ['fc00::1', 'address_private'],
    ['fd12:3456::1', 'address_private'],
    ['169.254.169.254', 'address_metadata'],
    ['169.254.170.2', 'address_metadata'],
    ['fd00:ec2::254', 'address_metadata'],
    ['169.254.1.1', 'address_link_local'],
    ['fe80::1', 'address_link_local'],
    ['fe80::1%eth0', 'address_link_local'],
    ['0.0.0.0', 'address_unspecified'],
    ['0.1.2.3', 'address_unspecified'],
    ['::', 'address_unspecified'],
    ['224.0.0.1', 'address_multicast'],
    ['ff02::1', 'address_multicast'],
    ['255.255.255.255', 'address_reserved'],
    // IPv4 hidden in IPv6 is judged by the IPv4 address.
    ['::ffff:10.1.2.3', 'address_private'],
    ['::ffff:a01:203', 'address_private'],
    ['::ffff:169.254.169.254', 'address_metadata'],
    ['::ffff:127.0.0.1', 'address_loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'address_loopback'],
    ['64:ff9b::10.0.0.1', 'address_private'],
    ['2002:a9fe:a9fe::1', 'address_metadata'],
    ['::10.0.0.1', 'address_reserved'],
    ['not-an-ip', 'address_invalid'],
  ])('%s → %s', (address, reason) => {
    expect(classifyAddress(address, strict)).toBe(reason);
  });

  it.each(['93.184.216.34', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'lets the public address %s through',
    (address) => {
      expect(classifyAddress(address, strict)).toBeNull();
    },
  );

  it('the loopback test switch opens loopback only', () => {
    expect(classifyAddress('127.0.0.1', loopbackOk)).toBeNull();
    expect(classifyAddress('::1', loopbackOk)).toBeNull();
    expect(classifyAddress('::ffff:127.0.0.1', loopbackOk)).toBeNull();
    for (const address of ['10.1.2.3', '192.168.0.1', '169.254.169.254', 'fd00::5', '0.0.0.0', 'fe80::1']) {
      expect(classifyAddress(address, loopbackOk)).not.toBeNull();
    }
  });
});
