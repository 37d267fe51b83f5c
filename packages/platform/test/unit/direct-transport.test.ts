import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, createClient, type Interceptor } from "@connectrpc/connect";
import {
  CacheService,
  GetResponseSchema,
  IngestService,
  OrgContextSchema,
  QueryService,
  Scope,
} from "@trellis/contracts";
import { describe, expect, it } from "vitest";
import {
  clientInterceptors,
  createCallContext,
  createContextSigner,
  createDirectTransport,
  errorMappingInterceptor,
  internalAuth,
  requireOrgContext,
  responseMetadataOf,
  runWithOrgContext,
  ValidationError,
} from "../../src/index.js";

const signer = createContextSigner({ secret: "d".repeat(40) });
const acme = create(OrgContextSchema, { organizationId: "acme", principal: "key:1", scopes: [Scope.ANALYTICS_READ] });

interface Seen {
  organization?: string;
  remainingMs?: number;
  message?: unknown;
  signal?: AbortSignal;
}

function transportTo(seen: Seen, extra: Interceptor[] = []) {
  const routes = (router: ConnectRouter) =>
    router.service(CacheService, {
      async get(req, ctx) {
        seen.organization = requireOrgContext(ctx.values).organizationId;
        seen.remainingMs = ctx.timeoutMs();
        seen.message = req;
        seen.signal = ctx.signal;
        if (req.key === "bad") throw ValidationError.field("key", "is bad");
        if (req.key === "slow") await new Promise((resolve) => setTimeout(resolve, 50));
        return create(GetResponseSchema, { found: true, value: new Uint8Array([1, 2, 3]) });
      },
    });
  return createDirectTransport({
    routes,
    clientInterceptors: clientInterceptors("test"),
    serverInterceptors: [...extra, ...internalAuth(signer), errorMappingInterceptor()],
    defaultTimeoutMs: 5_000,
  });
}

/** A server stream (QueryService.ExecuteStream) and a client stream (IngestService.StreamEvents). */
function streamingTransport(seen: Seen & { batches?: string[] }) {
  const routes = (router: ConnectRouter) =>
    router
      .service(QueryService, {
        async *executeStream(req, ctx) {
          seen.organization = requireOrgContext(ctx.values).organizationId;
          seen.message = req;
          ctx.responseTrailer.set("x-chunks", "3");
          for (let i = 0; i < 3; i++) {
            if (req.report?.chunkRows === 13 && i === 1) throw ValidationError.field("chunk_rows", "is unlucky");
            yield { chunk: { rows: [{ n: i }] } };
          }
        },
      })
      .service(IngestService, {
        async streamEvents(requests, ctx) {
          seen.organization = requireOrgContext(ctx.values).organizationId;
          seen.batches = [];
          for await (const request of requests) seen.batches.push(request.batchId);
          return { batches: seen.batches.length, accepted: 0 };
        },
      });
  return createDirectTransport({
    routes,
    clientInterceptors: clientInterceptors("test"),
    serverInterceptors: [...internalAuth(signer), errorMappingInterceptor()],
    defaultTimeoutMs: 5_000,
  });
}

async function asAcme<T>(fn: () => Promise<T>): Promise<T> {
  const token = await signer.mint(acme);
  return runWithOrgContext({ context: acme, token }, fn);
}

describe("direct in-process transport", () => {
  it("hands the message to the implementation as it is, with the verified organization", async () => {
    const seen: Seen = {};
    const client = createClient(CacheService, transportTo(seen));
    const answer = await asAcme(() => client.get({ key: "k1" }, { timeoutMs: 2_000 }));
    expect(answer.found).toBe(true);
    expect([...answer.value]).toEqual([1, 2, 3]);
    expect(seen.organization).toBe("acme");
    expect((seen.message as { key: string }).key).toBe("k1");
    expect(seen.remainingMs).toBeGreaterThan(1_900);
    expect(seen.remainingMs).toBeLessThanOrEqual(2_000);
  });

  it("runs the server interceptors: no context token, no call", async () => {
    const seen: Seen = {};
    const client = createClient(CacheService, transportTo(seen));
    const error = await client.get({ key: "k1" }).catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
    expect(seen.organization).toBeUndefined();
  });

  it("maps domain errors as a remote call would, keeping the field", async () => {
    const client = createClient(CacheService, transportTo({}));
    const error = ConnectError.from(await asAcme(() => client.get({ key: "bad" })).catch((e: unknown) => e));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("key: is bad");
  });

  it("passes the caller's signal through, so a caller that gives up cancels the callee", async () => {
    const seen: Seen = {};
    const client = createClient(CacheService, transportTo(seen));
    const controller = new AbortController();
    const call = asAcme(() => client.get({ key: "slow" }, { signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await call.catch(() => undefined);
    expect(seen.signal?.aborted).toBe(true);
  });

  it("answers UNIMPLEMENTED for a method the peer does not serve", async () => {
    const client = createClient(CacheService, transportTo({}));
    const error = ConnectError.from(await asAcme(() => client.getStats({})).catch((e: unknown) => e));
    expect(error.code).toBe(Code.Unimplemented);
  });
});

describe("call contexts", () => {
  const base = {
    service: CacheService,
    method: CacheService.method.get,
    protocolName: "test",
    url: "/test",
  };

  it("abort at the deadline by default, and only pass the remaining time when asked not to", async () => {
    const own = createCallContext({ ...base, timeoutMs: 20 });
    const inherited = createCallContext({ ...base, timeoutMs: 20, abortAtDeadline: false });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(own.signal.aborted).toBe(true);
    expect(inherited.signal.aborted).toBe(false);
    expect(inherited.timeoutMs()).toBe(0);
    expect(createCallContext(base).timeoutMs()).toBeUndefined();
  });

  it("follow the caller's signal", () => {
    const caller = new AbortController();
    const context = createCallContext({ ...base, timeoutMs: 10_000, signal: caller.signal });
    caller.abort();
    expect(context.signal.aborted).toBe(true);
  });

  it("keep response metadata a handler sets, and report none when it sets none", () => {
    const context = createCallContext(base);
    expect([...responseMetadataOf(context).header.keys()]).toEqual([]);
    context.responseHeader.set("retry-after", "3");
    context.responseTrailer.set("x-rows", "10");
    const { header, trailer } = responseMetadataOf(context);
    expect(header.get("retry-after")).toBe("3");
    expect(trailer.get("x-rows")).toBe("10");
  });

  it("serves a server stream on the same path: messages as they come, the organization verified, errors mapped", async () => {
    const seen: Seen = {};
    const client = createClient(QueryService, streamingTransport(seen));
    const rows: unknown[] = [];
    await asAcme(async () => {
      for await (const answer of client.executeStream({ report: { chunkRows: 2 } })) rows.push(answer.chunk?.rows[0]);
    });
    expect(rows.map((r) => (r as { n: number }).n)).toEqual([0, 1, 2]);
    expect(seen.organization).toBe("acme");
    const failed = await asAcme(async () => {
      for await (const _ of client.executeStream({ report: { chunkRows: 13 } })) {
        // the second message fails
      }
    }).catch((e: unknown) => ConnectError.from(e));
    expect((failed as ConnectError).code).toBe(Code.InvalidArgument);
    const unsigned = await (async () => {
      for await (const _ of client.executeStream({})) {
        // refused before the first message
      }
    })().catch((e: unknown) => ConnectError.from(e));
    expect((unsigned as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("serves a client stream on the same path, every message in order", async () => {
    const seen: Seen & { batches?: string[] } = {};
    const client = createClient(IngestService, streamingTransport(seen));
    async function* batches() {
      for (const batchId of ["b1", "b2", "b3"]) yield { batchId, events: [] };
    }
    const answer = await asAcme(() => client.streamEvents(batches()));
    expect(answer.batches).toBe(3);
    expect(seen.batches).toEqual(["b1", "b2", "b3"]);
    expect(seen.organization).toBe("acme");
  });
});
