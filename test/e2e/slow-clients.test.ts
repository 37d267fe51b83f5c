import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EventType, IngestService, StreamEventsRequestSchema } from "@trellis/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

// Short limits so that each case ends in well under a second; every assertion is about what
// the server does (answers 408, resets, closes), bounded only by a generous ceiling.
const HEADERS_MS = 500;
const BODY_MS = 1_000;
const IDLE_MS = 1_500;
const BOUND_MS = 15_000;

let warehouse: TestWarehouse;
let port: number;

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme"],
    env: {
      TRELLIS_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      TRELLIS_HTTP_BODY_TIMEOUT_MS: String(BODY_MS),
      TRELLIS_HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS),
    },
  });
  port = warehouse.embedded.server.port;
});

afterAll(async () => {
  await warehouse?.close();
});

const reportBody = JSON.stringify({ metrics: ["clicks"], time_range: { start: "2026-03-01", end: "2026-03-31" } });

interface Ended {
  /** Everything the server sent. */
  received: string;
  /** Whether the server closed the socket before the bound. */
  closed: boolean;
}

/** A raw TCP connection; `ended` settles when the server closes it, or at the bound. */
async function rawConnection(): Promise<{ socket: net.Socket; ended: Promise<Ended> }> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  const ended = new Promise<Ended>((resolve) => {
    const bound = setTimeout(() => {
      resolve({ received, closed: false });
      socket.destroy();
    }, BOUND_MS);
    socket.once("close", () => {
      clearTimeout(bound);
      resolve({ received, closed: true });
    });
  });
  return { socket, ended };
}

/** Writes one piece every `everyMs` until the socket closes; returns how many were written. */
function trickle(socket: net.Socket, pieces: () => string, everyMs = 100): () => number {
  let written = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return;
    socket.write(pieces());
    written++;
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
  return () => written;
}

/** An ordinary request on a connection of its own (no pooling). */
function h1Request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function authorized(): Record<string, string> {
  return { authorization: `Bearer ${warehouse.keys.acme}`, "content-type": "application/json" };
}

/** A session and when it closed (or the bound passed). */
function h2Session(): { session: http2.ClientHttp2Session; closed: Promise<boolean> } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  const closed = new Promise<boolean>((resolve) => {
    const bound = setTimeout(() => {
      resolve(false);
      session.destroy();
    }, BOUND_MS);
    session.once("close", () => {
      clearTimeout(bound);
      resolve(true);
    });
  });
  return { session, closed };
}

function h2Get(session: http2.ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": path });
    let status = 0;
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.on("error", reject);
    stream.resume();
    stream.on("end", () => resolve(status));
  });
}

describe("HTTP/1.1", () => {
  it("answers 408 and closes a connection that trickles its headers", async () => {
    const { socket, ended } = await rawConnection();
    socket.write("GET /healthz HTTP/1.1\r\nHost: warehouse\r\n");
    let n = 0;
    const written = trickle(socket, () => `X-Slow-${n++}: 1\r\n`);
    const result = await ended;
    expect(result.closed).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    // It was a trickle: the client was still sending when the server gave up.
    expect(written()).toBeGreaterThan(1);
  });

  it("answers 408 and closes a connection that trickles its body", async () => {
    const { socket, ended } = await rawConnection();
    const headers = Object.entries(authorized())
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.write(
      `POST /api/v1/analytics/query HTTP/1.1\r\nHost: warehouse\r\n${headers}Content-Length: ${reportBody.length}\r\n\r\n`,
    );
    let i = 0;
    const written = trickle(socket, () => reportBody[i++ % reportBody.length] ?? " ");
    const result = await ended;
    expect(result.closed).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(written()).toBeGreaterThan(1);
    expect(written()).toBeLessThan(reportBody.length);
  });

  it("closes a kept-alive connection that sends no further request", async () => {
    const { socket, ended } = await rawConnection();
    socket.write("GET /healthz HTTP/1.1\r\nHost: warehouse\r\nConnection: keep-alive\r\n\r\n");
    const result = await ended;
    expect(result.received).toMatch(/^HTTP\/1\.1 200 /);
    expect(result.received.toLowerCase()).toContain("connection: keep-alive");
    // It advertises the configured idle time (whole seconds), not Node's default of 5.
    expect(result.received.toLowerCase()).toContain(`keep-alive: timeout=${Math.floor(IDLE_MS / 1000)}\r\n`);
    expect(result.closed).toBe(true);
  });
});

describe("before the protocol is known", () => {
  it("closes a connection that sends nothing", async () => {
    const { ended } = await rawConnection();
    const result = await ended;
    expect(result).toEqual({ received: "", closed: true });
  });

  it("closes a connection whose HTTP/2 preface never completes", async () => {
    const { socket, ended } = await rawConnection();
    socket.write("PRI * HTTP/2.0\r\n");
    const result = await ended;
    expect(result).toEqual({ received: "", closed: true });
  });
});

describe("HTTP/2", () => {
  it("closes a session that sends the preface but never a complete HEADERS frame", async () => {
    const { socket, ended } = await rawConnection();
    // The preface, an empty SETTINGS frame, then the first 9-byte header of a HEADERS frame
    // on stream 1 that announces 64 bytes and never sends them.
    socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]));
    socket.write(Buffer.from([0, 0, 64, 1, 4, 0, 0, 0, 1]));
    const result = await ended;
    expect(result.closed).toBe(true);
  });

  it("answers 408 to a stream whose body never ends, and resets it", async () => {
    const { session, closed } = h2Session();
    const stream = session.request({ ":method": "POST", ":path": "/api/v1/analytics/query", ...authorized() });
    stream.on("error", () => {});
    stream.write(reportBody.slice(0, 10));
    let status = 0;
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.resume();
    const reset = await new Promise<number | undefined>((resolve) => {
      const bound = setTimeout(() => resolve(undefined), BOUND_MS);
      stream.once("close", () => {
        clearTimeout(bound);
        resolve(stream.rstCode);
      });
    });
    expect(reset).toBeDefined();
    expect(status).toBe(408);
    // The session is still fine for other streams.
    expect(await h2Get(session, "/healthz")).toBe(200);
    session.close();
    await closed;
  });

  it("keeps a session in use open past the idle time-out, and closes it once idle", async () => {
    const { session, closed } = h2Session();
    let open = true;
    void closed.then(() => {
      open = false;
    });
    const until = Date.now() + IDLE_MS * 2;
    let requests = 0;
    while (Date.now() < until) {
      expect(await h2Get(session, "/healthz")).toBe(200);
      requests++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(requests).toBeGreaterThan(2);
    expect(open).toBe(true);
    expect(await closed).toBe(true);
  });
});

describe("everyone else", () => {
  it("is answered while slow clients hold connections, which are then all closed", async () => {
    const slow = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const connection = await rawConnection();
        connection.socket.write("GET /healthz HTTP/1.1\r\n");
        trickle(connection.socket, () => "X-Slow: 1\r\n");
        return connection;
      }),
    );
    // Clients that start an upload, never finish it, never read the answer and never close.
    const stalled = Array.from({ length: 4 }, () => {
      const { session } = h2Session();
      const stream = session.request({ ":method": "POST", ":path": "/api/v1/analytics/query", ...authorized() });
      stream.on("error", () => {});
      stream.write("{");
      const status = new Promise<number>((resolve) => {
        stream.once("response", (headers) => resolve(Number(headers[":status"])));
        stream.once("close", () => resolve(0));
      });
      return { session, status };
    });

    const [h1, h2] = await Promise.all([
      h1Request("POST", "/api/v1/analytics/query", authorized(), reportBody),
      (async () => {
        const { session, closed } = h2Session();
        const status = await h2Get(session, "/healthz");
        session.close();
        await closed;
        return status;
      })(),
    ]);
    expect(h1.status).toBe(200);
    expect(JSON.parse(h1.body)).toHaveProperty("columns");
    expect(h2).toBe(200);

    for (const { ended } of slow) {
      const result = await ended;
      expect(result.closed).toBe(true);
      expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    }
    expect(await Promise.all(stalled.map((s) => s.status))).toEqual([408, 408, 408, 408]);
    // The server lets go of every socket, those of the clients that never close included.
    const server = warehouse.embedded.server;
    const until = Date.now() + BOUND_MS;
    while (server.connections() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.connections()).toBe(0);
    for (const { session } of stalled) session.destroy();
  });
});

describe("a streaming RPC", () => {
  it("lives past the body deadline while its client keeps sending (a client stream of batches)", async () => {
    const ingest = createClient(IngestService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
    const batches = 6;
    async function* slowly() {
      for (let b = 0; b < batches; b++) {
        // Three body deadlines in all, well within the idle time-out between messages.
        await new Promise((resolve) => setTimeout(resolve, (BODY_MS * 3) / batches));
        yield create(StreamEventsRequestSchema, {
          batchId: `slow-stream-${b}`,
          events: [
            {
              eventId: `slow-${b}`,
              type: EventType.PAGEVIEW,
              time: timestampFromDate(new Date(Date.now() - 1000)),
              url: "https://acme.example/",
            },
          ],
        });
      }
    }
    const summary = await ingest.streamEvents(slowly(), {
      headers: { authorization: `Bearer ${warehouse.keys.acme}` },
    });
    expect(summary.batches).toBe(batches);
    expect(summary.accepted).toBe(batches);
  });
});
