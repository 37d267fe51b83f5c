import { isUtf8 } from "node:buffer";
import type http from "node:http";
import type http2 from "node:http2";
import { gunzipSync, inflateSync } from "node:zlib";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { SpanKind } from "@opentelemetry/api";
import { AnswerSource } from "@trellis/contracts";
import {
  DeadlineExceededError,
  DomainError,
  echo,
  fieldViolationsOf,
  httpStatusForCode,
  inSpan,
  type Logger,
  linkSharedCopy,
  type RequestListener,
  runTaggingOrganization,
  toConnectError,
  ValidationError,
} from "@trellis/platform";
import type { HotAnswers } from "./hot-answers.js";
import type { Authorized, DirectInvoker } from "./invoke.js";
import { bodyText, parseJsonText } from "./json-body.js";
import { assertJsonDepth } from "./json-depth.js";
import { renderAnswerJson } from "./render.js";
import { matchPath, type RestRoute } from "./route.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export interface RestOptions {
  routes: readonly RestRoute[];
  /** Calls the gateway's own service implementations for an authorized request. */
  invoke: DirectInvoker;
  logger: Logger;
  maxBodyBytes: number;
  timeoutMs: number;
  /** Refuses a request before its body is read when its credential or scope is wrong. */
  authorize(headers: Headers, rpc: RestRoute["rpc"]): Promise<Authorized>;
  /** Rendered answers of reusable routes served again for a short window. */
  hot?: HotAnswers;
  /** Answers for paths outside /api (health, static pages); 404 when it returns false. */
  other?: (req: Req, res: Res) => boolean;
}

/** Questions with larger bodies (reports) are not kept in the hot window: their key is the body. */
const MAX_REUSED_BODY_BYTES = 16 * 1024;

/** Headers a REST call passes to the RPC it maps to. */
const passedHeaders = ["authorization", "x-api-key", "cache-control", "idempotency-key"];

class BodyTooLargeError extends DomainError {
  readonly code = "payload_too_large";
}

function sendJson(res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/**
 * Whether a request may be answered from the gateway's hot window. `Cache-Control: max-age=0`
 * asks for an answer checked against current versions (the cache's levels always are);
 * no-cache and no-store skip the caches altogether.
 */
function acceptsHotAnswer(cacheControl: string | string[] | undefined): boolean {
  if (cacheControl === undefined) return true;
  const value = String(cacheControl).toLowerCase();
  return !value.includes("no-store") && !value.includes("no-cache") && !/max-age\s*=\s*0\b/.test(value);
}

/** The same answer, marked as served again from the gateway's hot window. */
function asHotAnswer(output: MessageShape<DescMessage>): MessageShape<DescMessage> {
  const meta = (output as { meta?: { source: AnswerSource } }).meta;
  if (!meta) return output;
  return linkSharedCopy({ ...output, meta: { ...meta, source: AnswerSource.GATEWAY } }, output);
}

function sendJsonText(res: Res, status: number, payload: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function sendError(res: Res, error: unknown): void {
  if (error instanceof BodyTooLargeError) {
    sendJson(res, 413, { error: { code: "payload_too_large", message: error.message } });
    return;
  }
  const connectError = toConnectError(error);
  const code = Code[connectError.code] ?? "Unknown";
  const body: Record<string, unknown> = {
    code: code.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(),
    message: connectError.rawMessage,
  };
  const violations = error instanceof ValidationError ? error.violations : fieldViolationsOf(connectError);
  if (violations.length > 0) body.violations = violations;
  const headers: Record<string, string> = {};
  const retryAfter = connectError.metadata.get("retry-after");
  if (retryAfter) headers["retry-after"] = retryAfter;
  sendJson(res, httpStatusForCode(connectError.code), { error: body }, headers);
}

/** The request body, decompressed (gzip, deflate), refusing more than `limit` bytes either way. */
async function readBody(req: Req, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw new BodyTooLargeError(`request body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  try {
    if (encoding === "gzip" || encoding === "x-gzip") return gunzipSync(raw, { maxOutputLength: limit });
    if (encoding === "deflate") return inflateSync(raw, { maxOutputLength: limit });
  } catch (error) {
    if (error instanceof RangeError)
      throw new BodyTooLargeError(`decompressed request body is larger than ${limit} bytes`);
    throw ValidationError.field("body", `is not valid ${encoding} data`);
  }
  if (encoding !== "identity")
    throw ValidationError.field("content-encoding", `${echo(encoding)} is not supported; use gzip, deflate or none`);
  return raw;
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  assertJsonDepth(body);
  return parseJsonText(bodyText(body));
}

/** Writes lines as they come, honouring back-pressure; the status is sent with the first line. */
async function pipeLines(res: Res, contentType: string, lines: AsyncIterable<string>): Promise<void> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
  const write = async (text: string) => {
    if (!(res as http.ServerResponse).write(text)) await new Promise((resolve) => res.once("drain", resolve));
  };
  try {
    if (!first.done) await write(first.value);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) await write(next.value);
    res.end();
  } catch (error) {
    res.destroy(error as Error);
  }
}

/** REST+JSON under /api/v1: each path maps to one RPC, answered with proto field names. */
export function createRestHandler(options: RestOptions): RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://gateway");
    if (!url.pathname.startsWith("/api/")) {
      if (options.other?.(req, res)) return;
      sendJson(res, 404, { error: { code: "not_found", message: `no route for ${url.pathname}` } });
      return;
    }
    // Exact paths first, so /campaigns/versions is never read as a campaign id.
    const exact = options.routes.filter((r) => r.path === url.pathname);
    const candidates =
      exact.length > 0 ? exact : options.routes.filter((r) => matchPath(r.path, url.pathname) !== undefined);
    const route = candidates.find((r) => r.method === req.method);
    const pathParams = route ? (matchPath(route.path, url.pathname) ?? {}) : {};
    if (!route) {
      if (candidates.length > 0) {
        sendJson(
          res,
          405,
          { error: { code: "method_not_allowed", message: `use ${candidates.map((c) => c.method).join(" or ")}` } },
          { allow: candidates.map((c) => c.method).join(", ") },
        );
      } else {
        sendJson(res, 404, { error: { code: "not_found", message: `no route for ${url.pathname}` } });
      }
      return;
    }
    // One controller carries the request's end: its deadline, or a caller that leaves before
    // the answer is complete. Every call made for the request inherits its signal.
    const abort = new AbortController();
    const deadlineMs = route.download ? options.timeoutMs * 10 : options.timeoutMs;
    const deadline = setTimeout(
      () => abort.abort(new DeadlineExceededError(`no answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
    res.once("close", () => {
      clearTimeout(deadline);
      if (!res.writableFinished) abort.abort();
    });
    void inSpan(
      `${route.method} ${route.path}`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": route.method, "http.route": route.path } },
      async (span) => {
        try {
          const headers = new Headers();
          for (const name of passedHeaders) {
            const value = req.headers[name];
            if (typeof value === "string") headers.set(name, value);
          }
          const auth = await runTaggingOrganization(span, () => options.authorize(headers, route.rpc));
          const organizationId = auth.context.organizationId;
          const raw =
            route.method === "POST" || route.method === "PUT"
              ? await readBody(req, options.maxBodyBytes)
              : Buffer.alloc(0);
          const hot =
            route.reusable &&
            options.hot?.enabled &&
            raw.length <= MAX_REUSED_BODY_BYTES &&
            // The key is the body as text: bytes that are not text are refused, never looked up.
            (raw.length === 0 || isUtf8(raw)) &&
            acceptsHotAnswer(req.headers["cache-control"])
              ? options.hot
              : undefined;
          // The same question is the same path, query string and body, byte for byte.
          const hotRequest = `${url.pathname}${url.search}${raw.length > 0 ? `\n${raw.toString("utf8")}` : ""}`;
          const hotAnswer = hot?.get(organizationId, hotRequest);
          if (hotAnswer) {
            span.setAttribute("http.response.status_code", 200);
            sendJsonText(res, 200, hotAnswer);
            return;
          }
          const epoch = hot?.epochOf(organizationId);
          const callOptions = { headers, signal: abort.signal, timeoutMs: options.timeoutMs };
          const invoke = (message: MessageShape<DescMessage>) =>
            runTaggingOrganization(
              span,
              () => options.invoke(route.rpc, message, auth, callOptions) as Promise<MessageShape<DescMessage>>,
            );
          if (route.download) {
            const stream = (message: MessageShape<DescMessage>) =>
              options.invoke(route.rpc, message, auth, {
                ...callOptions,
                timeoutMs: deadlineMs,
              }) as AsyncIterable<MessageShape<DescMessage>>;
            const { contentType, lines } = route.download(
              { query: url.searchParams, body: parseJson(raw), path: pathParams },
              stream,
            );
            await runTaggingOrganization(span, () => pipeLines(res, contentType, lines));
            span.setAttribute("http.response.status_code", 200);
            return;
          }
          let status = 200;
          let payload: string;
          if (route.exchange) {
            const idempotencyKey = req.headers["idempotency-key"];
            let body: unknown;
            ({ status, body } = await route.exchange(
              {
                query: url.searchParams,
                raw,
                contentType: String(req.headers["content-type"] ?? ""),
                idempotencyKey: typeof idempotencyKey === "string" ? idempotencyKey : undefined,
              },
              invoke,
            ));
            payload = JSON.stringify(body);
          } else {
            const output = await invoke(
              route.parse({ query: url.searchParams, body: parseJson(raw), path: pathParams }),
            );
            // Kept for the hot window, the answer is rendered with two metas: seen as a copy of
            // itself, everything but the meta is rendered once for both.
            payload = renderAnswerJson(route.rpc.output, hot ? linkSharedCopy({ ...output }, output) : output);
            if (hot && epoch !== undefined) {
              const body = Buffer.from(renderAnswerJson(route.rpc.output, asHotAnswer(output)));
              hot.set(organizationId, hotRequest, epoch, body);
            }
          }
          span.setAttribute("http.response.status_code", status);
          sendJsonText(res, status, payload);
        } catch (error) {
          const connectError = toConnectError(error);
          span.setAttribute("http.response.status_code", httpStatusForCode(connectError.code));
          if (connectError.code === Code.Internal)
            options.logger.error({ err: error, route: route.path }, "REST call failed");
          if (!res.headersSent) sendError(res, error);
        } finally {
          span.end();
        }
      },
    );
  };
}
