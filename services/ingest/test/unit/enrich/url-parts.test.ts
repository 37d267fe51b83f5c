import { describe, expect, it } from "vitest";
import { parseUrl, stripWww } from "../../../src/enrich/url-parts.js";

describe("parseUrl", () => {
  it("splits an absolute URL into lower-case host, path and the first value of each parameter", () => {
    const parts = parseUrl("https://Shop.Example.COM:8443/Path/To?a=1&b=two%20words&a=2&c=&d=x+y#frag");
    expect(parts?.host).toBe("shop.example.com");
    expect(parts?.path).toBe("/Path/To");
    expect({ ...parts?.params }).toEqual({ a: "1", b: "two words", c: "", d: "x y" });
  });

  it("keeps a parameter named __proto__ as an ordinary key", () => {
    const parts = parseUrl("https://e.example/?__proto__=x&constructor=y");
    expect(Object.keys(parts?.params ?? {})).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(parts?.params, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(parts?.params)).toBeNull();
  });

  it("leaves the parameters empty when asked to", () => {
    expect({ ...parseUrl("https://e.example/p?a=1", false)?.params }).toEqual({});
  });

  it("returns undefined for empty and relative text", () => {
    expect(parseUrl("")).toBeUndefined();
    expect(parseUrl("/relative?a=1")).toBeUndefined();
    expect(parseUrl("not a url")).toBeUndefined();
  });

  it("strips a leading www. only", () => {
    expect(stripWww("www.example.com")).toBe("example.com");
    expect(stripWww("wwwexample.com")).toBe("wwwexample.com");
    expect(stripWww("shop.www.example.com")).toBe("shop.www.example.com");
  });
});
