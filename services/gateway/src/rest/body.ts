import type http from "node:http";
import type http2 from "node:http2";
import { gunzipSync, inflateSync } from "node:zlib";
import { DomainError, echo, ValidationError } from "@trellis/platform";
import { bodyText, parseJsonText } from "./json-body.js";
import { assertJsonDepth } from "./json-depth.js";

export type RestRequest = http.IncomingMessage | http2.Http2ServerRequest;

/**
 * A body over the size limit. RESOURCE_EXHAUSTED on the RPC side, as gRPC reports a message
 * larger than the server accepts; a REST caller is answered 413 (see errors.ts).
 */
export class BodyTooLargeError extends DomainError {
  readonly code = "resource_exhausted";
}

/** The body of a request that has none. */
export const noBody = Buffer.alloc(0);

/** Whether a request carries a body: POST and PUT do; other methods read as empty. */
export function expectsBody(req: RestRequest): boolean {
  return req.method === "POST" || req.method === "PUT";
}

/** The request body, decompressed (gzip, deflate), refusing more than `limit` bytes either way. */
export async function readBody(req: RestRequest, limit: number): Promise<Buffer> {
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

/** The body as JSON (undefined when empty), its nesting checked before it is parsed. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  assertJsonDepth(body);
  return parseJsonText(bodyText(body));
}
