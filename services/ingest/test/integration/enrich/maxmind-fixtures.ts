import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ipaddr from "ipaddr.js";

/** MaxMind's published test databases, beside the repository checkout in ../shared (never copied into it). */
const FIXTURES = new URL("../../../../../../shared/fixtures/maxmind/", import.meta.url);

export function testDatabase(name: string): string {
  return fileURLToPath(new URL(`test-data/${name}.mmdb`, FIXTURES));
}

export interface SourceNetwork<T> {
  network: string;
  /** The first and the last address of the network, IPv4 ones in dotted form. */
  addresses: [string, string];
  record: T;
}

export function sourceNetworks<T>(name: string): SourceNetwork<T>[] {
  const entries = JSON.parse(readFileSync(new URL(`source-data/${name}.json`, FIXTURES), "utf8")) as Record<
    string,
    T
  >[];
  return entries.flatMap((entry) =>
    Object.entries(entry).map(([network, record]) => ({ network, addresses: boundsOf(network), record })),
  );
}

function boundsOf(network: string): [string, string] {
  // The sources write IPv4 networks as IPv4-compatible IPv6 (::a.b.c.d/n, n counting from bit 0 of the IPv6 address).
  const compatible = /^::(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(network);
  const cidr = compatible ? `${compatible[1]}/${Number(compatible[2]) - 96}` : network;
  if (ipaddr.IPv4.isValidCIDR(cidr)) {
    return [ipaddr.IPv4.networkAddressFromCIDR(cidr).toString(), ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString()];
  }
  return [
    ipaddr.IPv6.networkAddressFromCIDR(cidr).toRFC5952String(),
    ipaddr.IPv6.broadcastAddressFromCIDR(cidr).toRFC5952String(),
  ];
}
