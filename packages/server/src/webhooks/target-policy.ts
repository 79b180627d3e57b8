import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Thrown (at creation) or raised from the connect-time lookup (at delivery) for a target the policy refuses. */
export class TargetNotAllowedError extends Error {
  override name = 'TargetNotAllowedError';
  readonly code = 'ERR_WEBHOOK_TARGET_NOT_ALLOWED';
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Name resolution as the system does it (getaddrinfo: /etc/hosts, then DNS); replaceable to test rebinding. */
export type Resolve = (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (hostname, options) => dns.lookup(hostname, { ...options, all: true });

/**
 * Which addresses webhooks may reach. By default only public unicast addresses: loopback, private (RFC 1918, fc00::/7),
 * carrier-grade NAT, link-local (the cloud metadata service at 169.254.169.254), unspecified, multicast and reserved
 * ranges are refused — whatever ipaddr.js does not classify as `unicast`. IPv4-mapped IPv6 addresses are judged as the
 * IPv4 address they carry. WEBHOOK_ALLOWED_TARGETS lets chosen hosts and ranges through.
 */
export class TargetPolicy {
  private readonly hosts = new Set<string>();
  private readonly ranges: Range[] = [];

  /** `allowed`: entries validated by config.ts (IP addresses, CIDR ranges, host names). */
  constructor(
    allowed: readonly string[],
    private readonly resolve: Resolve = systemResolve,
  ) {
    for (const entry of allowed) {
      if (isIP(entry) !== 0) {
        const address = ipaddr.process(entry);
        this.ranges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else if (ipaddr.isValidCIDR(entry)) {
        this.ranges.push(ipaddr.parseCIDR(entry));
      } else {
        this.hosts.add(normaliseHost(entry));
      }
    }
  }

  /** A host named in the allow list is trusted whatever it resolves to (the operator vouches for its DNS). */
  trustsHost(hostname: string): boolean {
    return this.hosts.has(normaliseHost(hostname));
  }

  /** Why a connection to `address` is refused (its range, e.g. `loopback`), or undefined when it is allowed. */
  refusalOfAddress(address: string): string | undefined {
    if (!ipaddr.isValid(address)) return 'not an IP address';
    const parsed = ipaddr.process(address);
    if (this.ranges.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits))) {
      return undefined;
    }
    const range = parsed.range();
    return range === 'unicast' ? undefined : range;
  }

  /**
   * What can be told from the URL alone: an IP literal, or a name that always means this machine (`localhost`).
   * Names that resolve elsewhere are judged at connect time by `lookup`.
   */
  refusalOfUrl(url: URL): string | undefined {
    const host = normaliseHost(url.hostname);
    if (this.trustsHost(host)) return undefined;
    if (isIP(host) !== 0) return this.refusalOfAddress(host);
    if (host === 'localhost' || host.endsWith('.localhost')) return this.refusalOfAddress('127.0.0.1');
    return undefined;
  }

  /**
   * A `lookup` for net.connect that refuses a name resolving to any refused address. It runs at connect time on
   * every new connection, so the address judged is the address connected to: a name that resolved to a public address
   * when the webhook was created and to 127.0.0.1 now (DNS rebinding) is refused now. IP literals skip lookup; the
   * caller checks them with refusalOfUrl.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname, options).then(
      (addresses) => {
        const refused = addresses.find((entry) => this.refusalOfAddress(entry.address) !== undefined);
        const first = addresses[0];
        if (refused) {
          const reason = this.refusalOfAddress(refused.address);
          callback(new TargetNotAllowedError(`${hostname} resolves to a ${reason} address`), '', 0);
        } else if (!first) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        } else if (options.all) {
          callback(null, addresses);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** URL hosts come bracketed ([::1]) and may end in a root dot (localhost.); compare them bare. */
function normaliseHost(host: string): string {
  return host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
}
