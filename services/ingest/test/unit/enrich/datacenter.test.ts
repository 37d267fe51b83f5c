import { describe, expect, it } from "vitest";
import { createHostingNetworkCheck, isHostingOrganization } from "../../../src/enrich/datacenter.js";

describe("hosting provider networks", () => {
  it.each([
    "AMAZON-02",
    "Amazon.com, Inc.",
    "GOOGLE-CLOUD-PLATFORM",
    "Google Cloud",
    "MICROSOFT-CORP-MSN-AS-BLOCK",
    "Microsoft Azure",
    "DIGITALOCEAN-ASN",
    "OVH SAS",
    "Hetzner Online GmbH",
    "Linode, LLC",
    "Akamai Technologies, Inc.",
    "Akamai Connected Cloud",
    "Alibaba (US) Technology Co., Ltd.",
    "Hangzhou Alibaba Advertising Co.,Ltd.",
    "ORACLE-BMC-31898",
    "AS-CHOOPA",
    "The Constant Company, LLC",
    "Contabo GmbH",
    "LeaseWeb Netherlands B.V.",
    "Online S.A.S.",
    "Shenzhen Tencent Computer Systems Company Limited",
  ])("recognises %s", (organization) => {
    expect(isHostingOrganization(organization)).toBe(true);
  });

  it.each([
    "",
    "Comcast Cable Communications, LLC",
    "Deutsche Telekom AG",
    "Telstra Pty Ltd",
    "GOOGLE",
    "Rostovhost Ltd",
    "Microsystems Telecom",
  ])("does not count %s", (organization) => {
    expect(isHostingOrganization(organization)).toBe(false);
  });

  it("memoises by organisation name", () => {
    const check = createHostingNetworkCheck();
    expect(check("AMAZON-02")).toBe(true);
    expect(check("AMAZON-02")).toBe(true);
    expect(check("Orange S.A.")).toBe(false);
  });
});
