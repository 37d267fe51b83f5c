import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where a webhook may go. An organization names the URL, and the product calls it from inside
 * its own network: without these checks a webhook could reach the product's own services, the
 * cloud's metadata endpoint or anything else on a private network.
 */
export interface WebhookDestinationPolicy {
  /**
   * Plain HTTP to a loopback host is allowed (a receiver beside the product, on a laptop or in
   * tests); otherwise every webhook is HTTPS to a public address.
   */
  allowLoopback: boolean;
}

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** Loopback, private, link-local, carrier-grade NAT, unspecified and unique-local ranges. */
const internal = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const)
  internal.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
] as const)
  internal.addSubnet(network, prefix, "ipv6");

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it is. */
function plain(address: string): { address: string; family: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: "ipv4" };
  return { address, family: isIP(address) === 6 ? "ipv6" : "ipv4" };
}

export function isLoopbackAddress(address: string): boolean {
  const { address: a, family } = plain(address);
  return loopback.check(a, family);
}

export function isInternalAddress(address: string): boolean {
  const { address: a, family } = plain(address);
  return internal.check(a, family);
}

/** A URL's host without the brackets of an IPv6 literal. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** Whether a host names this machine's loopback, by name or address. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || (isIP(host) !== 0 && isLoopbackAddress(host));
}

/**
 * Checks, just before a delivery, that the webhook's host resolves only to addresses it may
 * reach (a name can point anywhere, and can change after the URL was accepted). Returns why
 * not, or undefined when it may go.
 */
export async function refusedDestination(url: URL, policy: WebhookDestinationPolicy): Promise<string | undefined> {
  const host = hostOf(url);
  const addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  for (const address of addresses) {
    if (policy.allowLoopback && isLoopbackAddress(address)) continue;
    if (isInternalAddress(address))
      return `${host} resolves to ${address}, an internal address; webhooks go to public addresses only`;
  }
  return undefined;
}
