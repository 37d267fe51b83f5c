import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type http from "node:http";
import type http2 from "node:http2";
import { gzipSync } from "node:zlib";
import type { Logger } from "@trellis/platform";
import { trackerScriptPath } from "@trellis/tracker";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export const TRACKER_PATH = "/tracker.js";

/**
 * Pages load the script by this fixed URL, so it is cached for an hour and revalidated by its
 * ETag: a new version reaches every site within the hour without a change to their snippet.
 */
const CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400";

interface Asset {
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

function loadAsset(path: string): Asset {
  const body = readFileSync(path);
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
  return { body, gzip: gzipSync(body, { level: 9 }), etag };
}

function accepts(header: string | string[] | undefined, coding: string): boolean {
  return String(header ?? "")
    .toLowerCase()
    .split(",")
    .some((part) => {
      const [name, ...params] = part.trim().split(";");
      return name === coding && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
    });
}

/**
 * GET /tracker.js: the built browser tracker (packages/tracker), read once at start. Answers
 * false for any other path. When the script was never built, it says how to build it (503).
 */
export function createTrackerAsset(logger: Logger, path = trackerScriptPath) {
  let asset: Asset | undefined;
  try {
    asset = loadAsset(path);
  } catch (error) {
    logger.warn({ err: error, path }, "the browser tracker is not built: /tracker.js answers 503");
  }
  return (req: Req, res: Res): boolean => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname !== TRACKER_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("use GET\n");
      return true;
    }
    if (!asset) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("the tracker is not built: run npm run build -w @trellis/tracker\n");
      return true;
    }
    const headers: Record<string, string | number> = {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": CACHE_CONTROL,
      etag: asset.etag,
      vary: "Accept-Encoding",
      "x-content-type-options": "nosniff",
      // Any site may embed it, including pages that require cross-origin resources to opt in.
      "cross-origin-resource-policy": "cross-origin",
      "access-control-allow-origin": "*",
    };
    const known = String(req.headers["if-none-match"] ?? "").split(",");
    if (known.some((tag) => tag.trim() === asset.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = accepts(req.headers["accept-encoding"], "gzip");
    const body = gzip ? asset.gzip : asset.body;
    res.writeHead(200, {
      ...headers,
      ...(gzip ? { "content-encoding": "gzip" } : {}),
      "content-length": body.length,
    });
    if (req.method === "HEAD") res.end();
    else res.end(body);
    return true;
  };
}
