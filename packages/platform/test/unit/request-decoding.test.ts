import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { CacheService, GetRequestSchema, GetResponseSchema } from "@trellis/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createLogger,
  DEFAULT_READ_MAX_BYTES,
  type RunningServer,
  type ServiceApp,
  serveApp,
} from "../../src/index.js";

// A service whose Get fails as a call to a peer fails when the peer's answer cannot be
// decoded: that is the server's fault, and must stay INTERNAL.
const app: ServiceApp = {
  name: "decoding-test",
  services: [CacheService],
  routes(router) {
    router.service(CacheService, {
      async get(req) {
        if (req.key === "peer") throw new ConnectError("parse binary: premature EOF", Code.Internal);
        return create(GetResponseSchema, { found: false });
      },
    });
  },
  dependencies: [],
  authInterceptors: [],
  async close() {},
};

const shutdown = new AbortController();
let server: RunningServer;
const get = "/trellis.warehouse.v1.CacheService/Get";
const garbage = Buffer.from([0x0f, 0xff, 0xff]);

beforeAll(async () => {
  server = await serveApp(app, {
    host: "127.0.0.1",
    port: 0,
    logger: createLogger({ service: "test", level: "silent" }),
    health: { draining: false },
    shutdownSignal: shutdown.signal,
    http1: true,
  });
});

afterAll(async () => {
  shutdown.abort();
  await server?.close(100);
});

async function post(body: Buffer | string, contentType: string) {
  const response = await fetch(`${server.url}${get}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

const envelope = (data: Buffer | Uint8Array) => {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
};

/** The grpc-status of a gRPC call over HTTP/2 (from the trailers, or the headers of a trailers-only answer). */
function grpcStatus(body: Buffer): Promise<string | undefined> {
  const session = http2.connect(server.url);
  return new Promise<string | undefined>((resolve, reject) => {
    const request = session.request({
      ":method": "POST",
      ":path": get,
      "content-type": "application/grpc+proto",
      te: "trailers",
    });
    let status: string | undefined;
    request.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
    });
    request.on("trailers", (trailers) => {
      if (trailers["grpc-status"] !== undefined) status = String(trailers["grpc-status"]);
    });
    request.on("data", () => {});
    request.on("end", () => resolve(status));
    request.on("error", reject);
    request.end(body);
  }).finally(() => session.close());
}

describe("request bodies that are not a message of the method", () => {
  it("answer INVALID_ARGUMENT naming the body on Connect, for protobuf and for JSON that is not UTF-8", async () => {
    const proto = await post(garbage, "application/proto");
    expect(proto.status).toBe(400);
    const error = JSON.parse(proto.body.toString("utf8")) as { code: string; message: string; details: unknown[] };
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(/^body: is not a valid trellis\.warehouse\.v1\.GetRequest message \(/);
    expect(error.details).toHaveLength(1);

    const notUtf8 = await post(
      Buffer.concat([Buffer.from('{"key": "a'), Buffer.from([0xff]), Buffer.from('"}')]),
      "application/json",
    );
    expect(notUtf8.status).toBe(400);
    expect(JSON.parse(notUtf8.body.toString("utf8"))).toMatchObject({ code: "invalid_argument" });
  });

  it("answer INVALID_ARGUMENT on gRPC and gRPC-web", async () => {
    expect(await grpcStatus(envelope(garbage))).toBe(String(Code.InvalidArgument));
    const web = await fetch(`${server.url}${get}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: envelope(garbage),
    });
    expect(Buffer.from(await web.arrayBuffer()).toString("latin1")).toMatch(/grpc-status:\s*3\b/);
  });

  it("leave a well-formed request alone, and a peer's answer that cannot be decoded INTERNAL", async () => {
    const fine = await post(
      Buffer.from(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "k" }))),
      "application/proto",
    );
    expect(fine.status).toBe(200);
    const peer = await post('{"key": "peer"}', "application/json");
    expect(peer.status).toBe(500);
    expect(JSON.parse(peer.body.toString("utf8"))).toMatchObject({ code: "internal" });
    const peerBinary = envelope(toBinary(GetRequestSchema, create(GetRequestSchema, { key: "peer" })));
    expect(await grpcStatus(peerBinary)).toBe(String(Code.Internal));
  });
});

describe("errors of the platform's own services", () => {
  it("a health check of an unknown service quotes at most 64 characters of its name", async () => {
    const response = await fetch(`${server.url}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: "s".repeat(100_000) }),
    });
    const text = await response.text();
    expect(response.status).toBe(404);
    expect(text.length).toBeLessThan(300);
    expect(text).toContain(`"${"s".repeat(64)}…`);
  });
});

describe("the default message limit of a service", () => {
  it("takes a message carrying a body at the gateway's 16 MiB limit, and refuses one beyond its headroom", async () => {
    const atLimit = toBinary(GetRequestSchema, create(GetRequestSchema, { key: "x".repeat(16 * 1024 * 1024) }));
    expect(atLimit.length).toBeGreaterThan(16 * 1024 * 1024);
    expect((await post(Buffer.from(atLimit), "application/proto")).status).toBe(200);

    const beyond = toBinary(
      GetRequestSchema,
      create(GetRequestSchema, { key: "x".repeat(DEFAULT_READ_MAX_BYTES + 1) }),
    );
    const refused = await post(Buffer.from(beyond), "application/proto");
    // Connect's answer to a message over the read limit: resource_exhausted, HTTP 429.
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body.toString("utf8"))).toMatchObject({ code: "resource_exhausted" });
  });
});
