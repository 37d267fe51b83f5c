import { describe, expect, it } from "vitest";
import { InProcessHeaders } from "../../src/in-process-headers.js";

/** The same steps on a fetch Headers and on InProcessHeaders. */
function both(steps: (headers: Headers) => void): [Headers, InProcessHeaders] {
  const fetchHeaders = new Headers();
  const inProcess = new InProcessHeaders();
  steps(fetchHeaders);
  steps(inProcess);
  return [fetchHeaders, inProcess];
}

describe("headers of an in-process call", () => {
  it("read as a fetch Headers does: names in any case, values trimmed, appended values joined, sorted by name", () => {
    const [expected, actual] = both((h) => {
      h.set("X-B", " two\t");
      h.append("x-a", "one");
      h.append("X-A", "uno");
      h.set("Cache-Control", "max-age=0");
      h.delete("x-missing");
    });
    expect(actual.get("x-a")).toBe(expected.get("x-a"));
    expect(actual.get("X-B")).toBe("two");
    expect(actual.has("CACHE-CONTROL")).toBe(true);
    expect(actual.get("nothing")).toBeNull();
    expect([...actual]).toEqual([...expected]);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    expect([...actual.values()]).toEqual([...expected.values()]);
    const seen: string[] = [];
    actual.forEach((value, key) => {
      seen.push(`${key}=${value}`);
    });
    expect(seen).toEqual(["cache-control=max-age=0", "x-a=one, uno", "x-b=two"]);
  });

  it("are made from what a Headers is made from, and are copied into one as they are", () => {
    const init = [["Authorization", "Bearer k"]];
    expect([...new InProcessHeaders(init)]).toEqual([...new Headers(init)]);
    expect([...new InProcessHeaders({ "X-Api-Key": "k" })]).toEqual([["x-api-key", "k"]]);
    const source = new Headers({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    const copy = new InProcessHeaders(source);
    copy.set("trellis-org-context", "token");
    expect(source.has("trellis-org-context")).toBe(false);
    expect(new Headers(copy).get("trellis-org-context")).toBe("token");
  });
});
