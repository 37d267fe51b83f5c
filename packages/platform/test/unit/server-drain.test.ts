import http2 from "node:http2";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/server.js";

/** A server whose answers wait until the test releases them; it records each request's path. */
async function holdingServer() {
  const seen: string[] = [];
  const waiting: Array<() => void> = [];
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    http1: true,
    listener: (req, res) => {
      seen.push(String(req.url));
      waiting.push(() => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("done");
      });
    },
  });
  const releaseAll = () => {
    for (const release of waiting.splice(0)) release();
  };
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { server, seen, releaseAll, until };
}

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close(0);
  running = undefined;
});

describe("a draining server", () => {
  it("answers HTTP/1.1 requests in progress with Connection: close and takes no new one on their connection", async () => {
    const { server, seen, releaseAll, until } = await holdingServer();
    running = server;
    const socket = net.connect(server.port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write("GET /first HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    await until(() => seen.length === 1);

    const draining = server.close(5_000);
    // A second request on the same open connection, sent while the first is in progress.
    socket.write("GET /second HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    releaseAll();
    await ended;
    await draining;

    expect(seen).toEqual(["/first"]);
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.toLowerCase()).toContain("connection: close");
    // The second request was never handled: refused (503) or never read.
    expect(received).not.toMatch(/HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 200 OK/);
  });

  it("sends GOAWAY to HTTP/2 sessions and finishes their streams in progress", async () => {
    const { server, seen, releaseAll, until } = await holdingServer();
    running = server;
    const session = http2.connect(server.url);
    session.on("error", () => {});
    const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    const stream = session.request({ ":path": "/inflight" });
    let status = 0;
    let body = "";
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    const finished = new Promise<void>((resolve) => stream.once("close", () => resolve()));
    await until(() => seen.length === 1);

    const draining = server.close(5_000);
    await goaway;
    releaseAll();
    await finished;
    await draining;
    expect(status).toBe(200);
    expect(body).toBe("done");
    expect(seen).toEqual(["/inflight"]);
    session.destroy();
  });
});
