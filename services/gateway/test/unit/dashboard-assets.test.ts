import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createLogger, type RequestListener } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardAssets, dashboardContentSecurityPolicy, safeRelativePath } from "../../src/web/static.js";

const indexHtml = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>`;
const script = `console.log(${JSON.stringify("x".repeat(2_000))});`;

/** The dashboard in front of a stand-in for the REST handler, which answers what the dashboard leaves. */
function listenerFor(dir: string): RequestListener {
  const dashboard = createDashboardAssets({
    dir,
    logger: createLogger({ service: "test", level: "silent" }),
    servedElsewhere: ["/healthz", "/tracker.js"],
  });
  return (req, res) => {
    if (dashboard(req, res)) return;
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code: "not_found", message: `no route for ${req.url}` } }));
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(port: number, path: string, options: { method?: string; headers?: http.OutgoingHttpHeaders } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({
      port,
      host: "127.0.0.1",
      path,
      method: options.method ?? "GET",
      headers: options.headers,
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("dashboard assets served by the gateway", () => {
  let parent: string;
  let dir: string;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), "trellis-dashboard-"));
    dir = join(parent, "dist");
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "index.html"), indexHtml);
    writeFileSync(join(dir, "assets", "index-abc123.js"), script);
    writeFileSync(join(dir, "assets", "index-abc123.css"), "body{}");
    writeFileSync(join(dir, ".source-hash"), "secret-ish");
    writeFileSync(join(parent, "outside.txt"), "outside");
    server = http.createServer(listenerFor(dir));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(parent, { recursive: true, force: true });
  });

  it("answers / with index.html, revalidated on every load, under a strict CSP", async () => {
    const reply = await request(port, "/");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(reply.headers["cache-control"]).toBe("no-cache");
    expect(reply.headers["content-security-policy"]).toBe(dashboardContentSecurityPolicy);
    expect(dashboardContentSecurityPolicy).toContain("script-src 'self'");
    expect(dashboardContentSecurityPolicy).toContain("connect-src 'self'");
    expect(dashboardContentSecurityPolicy).not.toContain("unsafe-inline");
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    expect(reply.body.toString()).toBe(indexHtml);
  });

  it("answers a page path of the dashboard with index.html, query string and all", async () => {
    const reply = await request(port, "/campaigns?range=7d&filter=channel:paid");
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe(indexHtml);
  });

  it("caches hashed assets for a year, with their content type, and gzips them when asked", async () => {
    const plain = await request(port, "/assets/index-abc123.js");
    expect(plain.status).toBe(200);
    expect(plain.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(plain.body.toString()).toBe(script);
    const zipped = await request(port, "/assets/index-abc123.js", { headers: { "accept-encoding": "gzip, br" } });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(Number(zipped.headers["content-length"])).toBeLessThan(script.length);
    expect(gunzipSync(zipped.body).toString()).toBe(script);
    const css = await request(port, "/assets/index-abc123.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("answers HEAD with the headers of GET and no body, and If-None-Match with 304", async () => {
    const get = await request(port, "/assets/index-abc123.js");
    const head = await request(port, "/assets/index-abc123.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers["content-length"]).toBe(get.headers["content-length"]);
    expect(head.headers.etag).toBe(get.headers.etag);
    const again = await request(port, "/assets/index-abc123.js", {
      headers: { "if-none-match": String(get.headers.etag) },
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it("never serves a file outside the folder, nor its dotfiles", async () => {
    for (const path of [
      "/../outside.txt",
      "/%2e%2e/outside.txt",
      "/assets/..%2f..%2foutside.txt",
      "/.source-hash",
      "/a%5c..%5coutside.txt",
      "/%00.js",
      "/%E0%A4%A.js",
    ]) {
      const reply = await request(port, path);
      expect(reply.status, path).toBe(400);
      expect(reply.body.toString(), path).not.toContain("outside");
      expect(JSON.parse(reply.body.toString()).error.code).toBe("invalid_argument");
    }
    expect(safeRelativePath("/assets/index-abc123.js")).toBe("assets/index-abc123.js");
    expect(safeRelativePath("/a/../../b")).toBeUndefined();
  });

  it("answers a missing file with a 404 JSON error, and leaves /api, the paths served elsewhere and other methods to the API", async () => {
    for (const path of ["/assets/gone-123.js", "/warden.v1.WardenService/CreateOrganization"]) {
      const missing = await request(port, path);
      expect(missing.status, path).toBe(404);
      expect(JSON.parse(missing.body.toString()).error.code, path).toBe("not_found");
    }
    for (const [method, path] of [
      ["GET", "/api/v1/nothing"],
      ["GET", "/api"],
      ["GET", "/healthz"],
      ["GET", "/tracker.js"],
      ["POST", "/"],
    ] as const) {
      const reply = await request(port, path, { method });
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(reply.body.toString()).error.message, `${method} ${path}`).toBe(`no route for ${path}`);
    }
  });

  it("says the dashboard is not built when its folder is missing", async () => {
    const bare = http.createServer(listenerFor(join(dir, "never-built")));
    await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
    try {
      const reply = await request((bare.address() as AddressInfo).port, "/");
      expect(reply.status).toBe(503);
      expect(JSON.parse(reply.body.toString()).error.message).toContain("not built");
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  it("serves the same files over HTTP/2", async () => {
    const h2 = http2.createServer(listenerFor(dir));
    await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
    const client = http2.connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`);
    try {
      const reply = await new Promise<{ headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const stream = client.request({ ":path": "/assets/index-abc123.js" });
        let headers: http2.IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        stream.on("response", (h) => {
          headers = h;
        });
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => resolve({ headers, body: Buffer.concat(chunks).toString() }));
        stream.on("error", reject);
        stream.end();
      });
      expect(reply.headers[":status"]).toBe(200);
      expect(reply.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(reply.body).toBe(script);
    } finally {
      client.close();
      await new Promise((resolve) => h2.close(resolve));
    }
  });
});
