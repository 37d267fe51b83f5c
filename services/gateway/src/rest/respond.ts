import type http from "node:http";
import type http2 from "node:http2";

export type RestResponse = http.ServerResponse | http2.Http2ServerResponse;

/** A JSON answer whose text is already rendered. */
export function sendJsonText(
  res: RestResponse,
  status: number,
  payload: string | Buffer,
  headers?: Record<string, string>,
): void {
  const length = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  res.writeHead(
    status,
    headers === undefined
      ? { "content-type": "application/json; charset=utf-8", "content-length": length }
      : { "content-type": "application/json; charset=utf-8", "content-length": length, ...headers },
  );
  res.end(payload);
}

export function sendJson(res: RestResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/**
 * Writes lines (or bytes, for a binary download) as they come, honouring back-pressure; the status is sent with the first
 * line, so a failure before it is still answered with its own status by the caller. A
 * failure after it ends the response abruptly.
 */
export async function pipeLines(
  res: RestResponse,
  contentType: string,
  lines: AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
  const write = async (chunk: string | Uint8Array) => {
    if (!(res as http.ServerResponse).write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
  };
  try {
    if (!first.done) await write(first.value);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) await write(next.value);
    res.end();
  } catch (error) {
    res.destroy(error as Error);
  }
}
