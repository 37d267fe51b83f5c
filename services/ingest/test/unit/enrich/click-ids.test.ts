import { describe, expect, it } from "vitest";
import { CLICK_ID_SPECS, findClickId } from "../../../src/enrich/click-ids.js";

describe("findClickId", () => {
  it.each([
    ["gclid", "google", "cpc"],
    ["gbraid", "google", "cpc"],
    ["wbraid", "google", "cpc"],
    ["dclid", "google", "display"],
    ["msclkid", "bing", "cpc"],
    ["yclid", "yandex", "cpc"],
    ["sznclid", "seznam", "cpc"],
    ["fbclid", "facebook", "paid_social"],
    ["ttclid", "tiktok", "paid_social"],
    ["li_fat_id", "linkedin", "paid_social"],
    ["twclid", "twitter", "paid_social"],
    ["epik", "pinterest", "paid_social"],
    ["rdt_cid", "reddit", "paid_social"],
    ["ScCid", "snapchat", "paid_social"],
    ["qclid", "quora", "paid_social"],
    ["irclickid", "impact", "affiliate"],
  ])("maps %s to %s / %s", (param, source, medium) => {
    expect(findClickId({ page: "2", [param]: "id-123" })).toEqual({ type: param, value: "id-123", source, medium });
  });

  it("covers every click id of the table in the test above", () => {
    expect(CLICK_ID_SPECS.map((spec) => spec.param)).toEqual([
      "gclid",
      "gbraid",
      "wbraid",
      "dclid",
      "msclkid",
      "yclid",
      "sznclid",
      "fbclid",
      "ttclid",
      "li_fat_id",
      "twclid",
      "epik",
      "rdt_cid",
      "ScCid",
      "qclid",
      "irclickid",
    ]);
  });

  it("matches parameter names case-insensitively and reports the table's spelling", () => {
    expect(findClickId({ GCLID: "a" })?.type).toBe("gclid");
    expect(findClickId({ sccid: "b" })?.type).toBe("ScCid");
  });

  it("takes the table's precedence when a URL carries several, whatever their order", () => {
    expect(findClickId({ fbclid: "f", msclkid: "m", gclid: "g" })).toEqual({
      type: "gclid",
      value: "g",
      source: "google",
      medium: "cpc",
    });
    expect(findClickId({ irclickid: "i", ttclid: "t" })?.type).toBe("ttclid");
  });

  it("ignores empty values and unknown parameters", () => {
    expect(findClickId({ gclid: " ", fbclid: "f" })?.type).toBe("fbclid");
    expect(findClickId({ gclid: "" })).toBeUndefined();
    expect(findClickId({ utm_source: "google", clid: "x" })).toBeUndefined();
  });
});
