import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

export type RequestListener = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

export interface ServerOptions {
  host: string;
  port: number;
  listener: RequestListener;
  /** Largest request header block accepted, in bytes. */
  maxHeaderBytes?: number;
  /** An idle connection is closed after this long, in milliseconds. */
  idleTimeoutMs?: number;
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  /** Requests that have started and not yet finished. */
  inFlight(): number;
  /** Stops accepting, waits for in-flight requests up to `graceMs`, then closes everything. */
  close(graceMs: number): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One port for HTTP/2 cleartext (gRPC, Connect, gRPC-Web) and HTTP/1.1 (browsers, curl,
 * Connect and gRPC-Web over 1.1). Node's cleartext http2 server cannot fall back to
 * HTTP/1.1, so the first bytes of each connection decide which server takes it.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let inFlight = 0;
  const idle: Array<() => void> = [];
  const track: RequestListener = (req, res) => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) for (const wake of idle.splice(0)) wake();
    });
    options.listener(req, res);
  };

  const h2 = http2.createServer(
    { maxSessionMemory: 64, settings: { maxHeaderListSize: options.maxHeaderBytes ?? 65536 } },
    track,
  );
  const h1 = http.createServer({ maxHeaderSize: options.maxHeaderBytes ?? 65536 }, track);
  h1.keepAliveTimeout = 5_000;
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const sockets = new Set<net.Socket>();
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.once("error", () => socket.destroy());
    sniff(socket, (isHttp2) => (isHttp2 ? h2 : h1).emit("connection", socket));
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port, options.host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const address = tcp.address() as net.AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    port: address.port,
    url: `http://${hostForUrl}:${address.port}`,
    inFlight: () => inFlight,
    async close(graceMs: number) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      h1.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
        ]);
      }
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function sniff(socket: net.Socket, route: (isHttp2: boolean) => void): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const n = Math.min(buffered.length, HTTP2_PREFACE.length);
    const isPrefix = buffered.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (isPrefix && buffered.length < HTTP2_PREFACE.length) return;
    socket.off("data", onData);
    socket.pause();
    socket.unshift(buffered);
    route(isPrefix);
    socket.resume();
  };
  socket.on("data", onData);
}
