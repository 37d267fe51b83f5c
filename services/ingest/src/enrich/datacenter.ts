/**
 * Words of the autonomous-system organisation names of cloud and hosting providers, as MaxMind and DB-IP spell them
 * ("AMAZON-02", "GOOGLE-CLOUD-PLATFORM", "Hetzner Online GmbH", …). Matched on whole words of the normalised name,
 * so "ovh" does not match "Rostovhost".
 */
export const HOSTING_PROVIDER_WORDS: readonly string[] = [
  "amazon",
  "aws",
  "google cloud",
  "microsoft",
  "azure",
  "digitalocean",
  "ovh",
  "ovhcloud",
  "hetzner",
  "linode",
  "akamai",
  "alibaba",
  "aliyun",
  "oracle",
  "vultr",
  "choopa",
  "the constant company",
  "contabo",
  "leaseweb",
  "scaleway",
  "online s a s",
  "tencent",
  "huawei cloud",
  "ibm cloud",
  "softlayer",
  "rackspace",
  "ionos",
  "1 1 internet",
  "godaddy",
  "hostinger",
  "kamatera",
  "upcloud",
  "netcup",
  "m247",
  "datacamp",
  "psychz",
  "colocrossing",
  "servers com",
  "zenlayer",
  "g core",
  "gcore",
  "fastly",
  "cloudflare",
  "hostwinds",
  "hivelocity",
  "quadranet",
  "buyvm",
  "frantech",
  "packet host",
  "equinix metal",
];

const phrases = HOSTING_PROVIDER_WORDS.map((words) => ` ${words} `);

export function isHostingOrganization(organization: string): boolean {
  if (organization === "") return false;
  const normalised = ` ${organization.toLowerCase().replace(/[^a-z0-9]+/g, " ")} `;
  return phrases.some((phrase) => normalised.includes(phrase));
}

/** Memoised: a database names some 100,000 organisations, far fewer than the events that carry them. */
export function createHostingNetworkCheck(): (organization: string) => boolean {
  const known = new Map<string, boolean>();
  return (organization) => {
    let hosting = known.get(organization);
    if (hosting === undefined) {
      hosting = isHostingOrganization(organization);
      known.set(organization, hosting);
    }
    return hosting;
  };
}
