import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/server.js";

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close(0);
  running = undefined;
});

/** The bytes of a request body the server received, answered with their count. */
async function countingServer(http1: boolean) {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    http1,
    listener: (req, res) => {
      let bytes = 0;
      req.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(String(bytes));
      });
    },
  });
  running = server;
  return server;
}

describe("HTTP/2 flow control", () => {
  for (const http1 of [false, true]) {
    it(`lets a client send megabytes before the first window update (${http1 ? "with" : "without"} HTTP/1.1 on the port)`, async () => {
      const server = await countingServer(http1);
      const session = http2.connect(server.url);
      try {
        await new Promise<void>((resolve, reject) => {
          session.once("remoteSettings", () => resolve());
          session.once("error", reject);
        });
        // What the server granted: each stream 4 MiB, the connection 16 MiB (the protocol's
        // default is 64 KiB for both, a round trip per 64 KiB of a large request).
        expect(session.remoteSettings.initialWindowSize).toBe(4 * 1024 * 1024);
        await new Promise<void>((resolve) => {
          const waitForWindow = () =>
            (session.state.remoteWindowSize ?? 0) >= 16 * 1024 * 1024 ? resolve() : setTimeout(waitForWindow, 5);
          waitForWindow();
        });

        const body = Buffer.alloc(3 * 1024 * 1024, 7);
        const stream = session.request({ ":method": "POST", ":path": "/upload" });
        let answer = "";
        stream.on("data", (chunk: Buffer) => {
          answer += chunk.toString();
        });
        const closed = new Promise<void>((resolve) => stream.once("close", () => resolve()));
        stream.end(body);
        await closed;
        expect(answer).toBe(String(body.length));
      } finally {
        session.close();
      }
    });
  }
});
