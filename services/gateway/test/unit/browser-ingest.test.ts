import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createLogger } from "@trellis/platform";
import { afterEach, describe, expect, it } from "vitest";
import { clientAddress } from "../../src/rest/publishable-events.js";
import { createTrackerAsset } from "../../src/web/tracker.js";

const request = (headers: http.IncomingHttpHeaders, remoteAddress: string) => ({
  headers,
  socket: { remoteAddress } as Socket,
});

describe("the browser's address", () => {
  it("is the connection's peer unless a proxy header is configured, IPv4-mapped addresses unwrapped", () => {
    expect(clientAddress(request({ "x-forwarded-for": "81.2.69.142" }, "::ffff:10.0.0.7"), undefined)).toBe("10.0.0.7");
    expect(clientAddress(request({ "x-forwarded-for": "81.2.69.142, 10.0.0.1" }, "10.0.0.7"), "x-forwarded-for")).toBe(
      "81.2.69.142",
    );
    expect(clientAddress(request({ "x-forwarded-for": "2001:db8::1" }, "10.0.0.7"), "x-forwarded-for")).toBe(
      "2001:db8::1",
    );
    // Not an address: none, rather than a value ingest would refuse.
    expect(clientAddress(request({ "x-forwarded-for": "unknown" }, "10.0.0.7"), "x-forwarded-for")).toBe("");
  });
});

describe("/tracker.js", () => {
  let server: http.Server | undefined;
  afterEach(() => server?.close());

  it("says how to build the tracker when it was never built, and leaves other paths alone", async () => {
    const logger = createLogger({ service: "test", level: "silent" });
    const tracker = createTrackerAsset(logger, "/nonexistent/tracker.js");
    server = http.createServer((req, res) => {
      if (!tracker(req, res)) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const missing = await fetch(`${base}/tracker.js`);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain("npm run build -w @trellis/tracker");
    expect((await fetch(`${base}/tracker.js`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${base}/other.js`)).status).toBe(404);
  });
});
