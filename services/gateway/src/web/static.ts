import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";
import type { Logger, RequestListener } from "@trellis/platform";

type Req = Parameters<RequestListener>[0];
type Res = Parameters<RequestListener>[1];

/**
 * The dashboard's page may load scripts, styles, images and fonts from this origin only, and talk
 * to this origin only (Connect and REST share the port). No inline script or style, no frames.
 */
export const dashboardContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};
const compressible = new Set([".html", ".js", ".mjs", ".css", ".json", ".map", ".svg", ".txt"]);

/** Vite writes content-hashed file names under assets/: they never change, so they are cached for a year. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** index.html and unhashed files are checked again on every load, so a new build shows at once. */
const REVALIDATE = "no-cache";

interface LoadedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
}

export interface DashboardAssetsOptions {
  /** Folder of the built dashboard (index.html and assets/). */
  dir: string;
  logger: Logger;
  /** Paths the gateway answers itself (besides /api/…), left to it. */
  servedElsewhere?: readonly string[];
}

/**
 * Serves the built dashboard at `/`: GET and HEAD for every path outside `/api/` and the paths
 * served elsewhere.
 * A path without a dot is a page of the dashboard and gets index.html (the page reads its route
 * from the URL); a missing file is a 404. Returns false for requests it leaves to the REST handler.
 */
export function createDashboardAssets(options: DashboardAssetsOptions): (req: Req, res: Res) => boolean {
  const root = resolve(options.dir);
  const files = new Map<string, LoadedFile>();
  const servedElsewhere = new Set(options.servedElsewhere ?? []);

  async function load(path: string): Promise<LoadedFile | undefined> {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const known = files.get(path);
    if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known;
    const body = await readFile(path);
    const loaded: LoadedFile = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      body,
      gzip: compressible.has(extname(path)) && body.length > 512 ? gzipSync(body) : undefined,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
    };
    files.set(path, loaded);
    return loaded;
  }

  async function serve(req: Req, res: Res, relative: string, isPage: boolean): Promise<void> {
    const file = await load(join(root, isPage ? "index.html" : relative));
    if (!file) {
      if (isPage) {
        sendError(res, 503, "unavailable", "the dashboard is not built: run `npm run build -w apps/web`");
      } else {
        sendError(res, 404, "not_found", `no file ${relative}`);
      }
      return;
    }
    const headers: Record<string, string | number> = {
      "content-type": contentTypes[isPage ? ".html" : extname(relative)] ?? "application/octet-stream",
      "cache-control": !isPage && relative.startsWith("assets/") ? IMMUTABLE : REVALIDATE,
      etag: file.etag,
      vary: "accept-encoding",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cross-origin-opener-policy": "same-origin",
      "content-security-policy": dashboardContentSecurityPolicy,
    };
    if (req.headers["if-none-match"] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = file.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) ? file.gzip : undefined;
    const body = gzip ?? file.body;
    if (gzip) headers["content-encoding"] = "gzip";
    headers["content-length"] = body.length;
    res.writeHead(200, headers);
    if (req.method === "HEAD") res.end();
    else res.end(body);
  }

  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    if (pathname === "/api" || pathname.startsWith("/api/") || servedElsewhere.has(pathname)) return false;
    const relative = safeRelativePath(pathname);
    if (relative === undefined) {
      sendError(res, 400, "invalid_argument", "path: not a file of the dashboard");
      return true;
    }
    // Pages of the dashboard have no dot anywhere in their path; files (and RPC paths such as
    // /pkg.v1.Service/Method) do, and are never answered with index.html.
    const isPage = !relative.includes(".");
    if (!isPage && !resolve(root, relative).startsWith(root + sep)) {
      sendError(res, 400, "invalid_argument", "path: not a file of the dashboard");
      return true;
    }
    serve(req, res, relative, isPage).catch((error: unknown) => {
      options.logger.error({ err: error, path: relative }, "dashboard asset failed");
      if (!res.headersSent) sendError(res, 500, "internal", "the file could not be read");
      else res.end();
    });
    return true;
  };
}

/**
 * The URL path as a path relative to the assets folder, or undefined when it tries to leave the
 * folder (`..`, encoded slashes or backslashes, NUL) or is not valid percent-encoding.
 */
export function safeRelativePath(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const segments = decoded.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === ".." || s === "." || s.startsWith("."))) return undefined;
  return segments.join("/");
}

function sendError(res: Res, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
}
