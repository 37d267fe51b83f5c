import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { Duplex } from "node:stream";

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
  /**
   * Also accept HTTP/1.1 on the same port (browsers, curl, Connect and gRPC-Web over 1.1).
   * Internal services speak HTTP/2 only and skip the protocol sniffing.
   */
  http1?: boolean;
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
    if (!options.http1) {
      h2.emit("connection", socket);
      return;
    }
    sniff(socket, (isHttp2, head) => {
      if (isHttp2) {
        h2.emit("connection", replaying(socket, head));
      } else {
        socket.unshift(head);
        h1.emit("connection", socket);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    // A deep accept queue: a burst of new connections (a thousand clients connecting at
    // once) waits in it instead of having SYNs dropped and retried seconds later. The kernel
    // caps it at net.core.somaxconn.
    tcp.listen({ port: options.port, host: options.host, backlog: 4096 }, () => {
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

/** Reads until the first bytes tell HTTP/2 (the connection preface) from HTTP/1.x. */
function sniff(socket: net.Socket, route: (isHttp2: boolean, head: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const n = Math.min(buffered.length, HTTP2_PREFACE.length);
    const isPrefix = buffered.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (isPrefix && buffered.length < HTTP2_PREFACE.length) return;
    socket.off("data", onData);
    socket.pause();
    route(isPrefix, buffered);
    socket.resume();
  };
  socket.on("data", onData);
}

/**
 * The native HTTP/2 session reads the socket's handle directly and would never see bytes
 * already read for sniffing; a plain Duplex that replays them first is read through JS.
 */
function replaying(socket: net.Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(head);
  socket.on("data", (data: Buffer) => {
    if (!duplex.push(data)) socket.pause();
  });
  socket.once("end", () => duplex.push(null));
  socket.once("close", () => duplex.destroy());
  socket.once("error", (error) => duplex.destroy(error));
  return duplex;
}
