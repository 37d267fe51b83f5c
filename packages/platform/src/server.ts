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
  /** How long a client may take to send a request, and to leave a connection unused. */
  timeouts?: Partial<ConnectionTimeouts>;
  /**
   * Also accept HTTP/1.1 on the same port (browsers, curl, Connect and gRPC-Web over 1.1).
   * Internal services speak HTTP/2 only and skip the protocol sniffing.
   */
  http1?: boolean;
}

/**
 * How long a client may take over each part of a request, in milliseconds. A connection that
 * overruns one is answered 408 where an HTTP answer is still possible (HTTP/1.1 with no
 * response under way; an HTTP/2 stream whose response has not started, then reset), and
 * closed otherwise.
 */
export interface ConnectionTimeouts {
  /**
   * A new connection gets this long to show its protocol (its first bytes; on HTTP/2 the
   * whole connection preface), then a request head as long again to be complete: the
   * HTTP/1.1 request line and headers (on a reused connection, from the request's first
   * byte), or an HTTP/2 session's first complete HEADERS frame. Long enough for a head on a
   * slow mobile link, short enough that a client trickling one holds a socket only briefly.
   * @default 10_000
   */
  headersMs: number;
  /**
   * From a request's headers to the last byte of its body (an HTTP/2 stream, a client stream
   * included, must have ended its half by then; HTTP/1.1 gets the whole request within headers
   * plus body). The default lets the largest body (16 MiB) arrive at about 4.5 Mbit/s.
   * @default 30_000
   */
  bodyMs: number;
  /**
   * A connection with no request in progress is closed after this long (HTTP/1.1 keep-alive,
   * an HTTP/2 session without open streams); so is one where no byte moves either way while a
   * request is in progress. A little over the idle time-out of common load balancers (60 s),
   * so they close a pooled connection first instead of sending a request into one closing.
   * @default 65_000
   */
  idleMs: number;
}

/** Limits used where a port configures none: 10 s for a request head, 30 s for a body, 65 s idle. */
export const defaultConnectionTimeouts: Readonly<ConnectionTimeouts> = {
  headersMs: 10_000,
  bodyMs: 30_000,
  idleMs: 65_000,
};

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  /** Requests that have started and not yet finished. */
  inFlight(): number;
  /** Connections accepted and not yet closed. */
  connections(): number;
  /** Stops accepting, waits for in-flight requests up to `graceMs`, then closes everything. */
  close(graceMs: number): Promise<void>;
}

/** How long a socket whose writing side has ended waits for the client to close its own. */
const LINGER_MS = 1_000;

/**
 * HTTP/2 flow-control windows: how much a client may send before the server reads it. With
 * the protocol's default of 64 KiB a large request (a 3 MB batch of events) waits for a
 * window update every 64 KiB, a round trip through the event loop each time; a gRPC batch took
 * four times as long as the same batch over HTTP/1.1. A stream may have 4 MiB outstanding, the
 * connection 16 MiB (what is buffered counts against the session's memory limit, so a client
 * cannot make the server hold more than that).
 */
const HTTP2_STREAM_WINDOW = 4 * 1024 * 1024;
const HTTP2_CONNECTION_WINDOW = 16 * 1024 * 1024;

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One port for HTTP/2 cleartext (gRPC, Connect, gRPC-Web) and HTTP/1.1 (browsers, curl,
 * Connect and gRPC-Web over 1.1). Node's cleartext http2 server cannot fall back to
 * HTTP/1.1, so the first bytes of each connection decide which server takes it.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const timeouts: ConnectionTimeouts = { ...defaultConnectionTimeouts, ...options.timeouts };
  let inFlight = 0;
  const idle: Array<() => void> = [];
  // While draining, an HTTP/1.1 connection takes no new request: answers in progress carry
  // `Connection: close`, and a request that still arrives on an open connection is refused
  // (503, retry) and its connection closed. HTTP/2 sessions get GOAWAY (session.close()).
  let draining = false;
  const openHttp1 = new Set<http.ServerResponse>();
  const track: RequestListener = (req, res) => {
    if (draining && res instanceof http.ServerResponse) {
      res.shouldKeepAlive = false;
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "1" });
      res.end("shutting down: retry on a new connection\n");
      return;
    }
    inFlight++;
    if (res instanceof http.ServerResponse) openHttp1.add(res);
    res.once("close", () => {
      inFlight--;
      if (res instanceof http.ServerResponse) openHttp1.delete(res);
      if (inFlight === 0) for (const wake of idle.splice(0)) wake();
    });
    if (req instanceof http2.Http2ServerRequest)
      limitStreamBody(req, res as http2.Http2ServerResponse, timeouts.bodyMs);
    options.listener(req, res);
  };

  const h2 = http2.createServer(
    {
      maxSessionMemory: 64,
      settings: { maxHeaderListSize: options.maxHeaderBytes ?? 65536, initialWindowSize: HTTP2_STREAM_WINDOW },
    },
    track,
  );
  // Node's parser answers 408 itself: headersTimeout from a request's first byte to the end
  // of its head, requestTimeout to the end of its body. It checks every
  // connectionsCheckingInterval (30 s unless set), and only once the server has emitted
  // "listening" — which this one never does by itself, as the TCP server below hands it its
  // sockets. Without the event neither limit is ever enforced.
  const h1 = http.createServer(
    {
      maxHeaderSize: options.maxHeaderBytes ?? 65536,
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.headersMs + timeouts.bodyMs,
      keepAliveTimeout: timeouts.idleMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(timeouts.headersMs / 4))),
    },
    track,
  );
  // No byte either way for this long while a request is in progress: the socket is closed.
  h1.timeout = timeouts.idleMs;
  h1.emit("listening");

  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    // The connection's own window (HTTP/2's default is 64 KiB, whatever the streams' are).
    session.setLocalWindowSize(HTTP2_CONNECTION_WINDOW);
    // A session with no complete HEADERS frame (no preface either, on a port without
    // HTTP/1.1) within the headers time-out is closed.
    const firstHeaders = setTimeout(() => session.destroy(), timeouts.headersMs);
    // Once it has had a request, it lives while a stream is open and for the idle time-out
    // after the last one closed; frames without a stream (PINGs, SETTINGS) do not count.
    let open = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    // No frame either way for the idle time-out, even with streams open: closed. (A socket
    // time-out cannot say this: the session reads a plain socket natively, unseen by it.)
    session.setTimeout(timeouts.idleMs, () => session.destroy());
    session.on("stream", (stream) => {
      clearTimeout(firstHeaders);
      clearTimeout(idleTimer);
      open++;
      stream.once("close", () => {
        open--;
        if (open === 0 && !session.closed && !session.destroyed)
          idleTimer = setTimeout(() => session.close(), timeouts.idleMs);
      });
    });
    session.once("close", () => {
      sessions.delete(session);
      clearTimeout(firstHeaders);
      clearTimeout(idleTimer);
    });
  });
  const sockets = new Set<net.Socket>();
  // No Nagle delay: a small frame (an HTTP/2 answer, a window update) leaves at once rather
  // than waiting for the peer's delayed acknowledgement.
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.once("error", () => socket.destroy());
    // A closing HTTP/2 session only ends its half and waits for the client's; a client that
    // never closes would keep the socket. Once this end is done, the client has a moment.
    socket.once("finish", () => setTimeout(() => socket.destroy(), LINGER_MS).unref());
    if (!options.http1) {
      h2.emit("connection", socket);
      return;
    }
    // Until its first bytes tell the protocol (all of the HTTP/2 preface, or anything else),
    // a connection has the headers time-out: one that sends nothing, or a preface in dribs,
    // is closed. Then each server keeps its own time.
    const undecided = setTimeout(() => socket.destroy(), timeouts.headersMs);
    socket.once("close", () => clearTimeout(undecided));
    sniff(socket, (isHttp2, head) => {
      clearTimeout(undecided);
      // The bytes read to decide go back in front of the socket's stream. The native HTTP/2
      // session takes the socket's handle and first reads what is buffered in the stream
      // (its own read, so the socket stays paused: flowing, it would hand those bytes to
      // no listener); its frames never pass through JavaScript streams.
      socket.unshift(head);
      if (isHttp2) h2.emit("connection", socket);
      else {
        h1.emit("connection", socket);
        socket.resume();
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
    connections: () => sockets.size,
    async close(graceMs: number) {
      draining = true;
      for (const res of openHttp1) if (!res.headersSent) res.shouldKeepAlive = false;
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      // Closes idle keep-alive connections and stops the parser's time-out checks.
      h1.close();
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

/**
 * An HTTP/2 stream whose client has not ended its half within `bodyMs` of the headers is
 * answered 408 (or, once its response has started, cancelled) and reset. A body the client
 * finished but the handler has not read yet is not the client's delay and is left alone.
 *
 * A streaming RPC (gRPC, or Connect's streaming protocol) may send messages for as long as
 * it likes — a client stream of ingest batches is meant to stay open — so it has no body
 * deadline; a stream that falls silent is closed with its session by the idle timeout.
 */
function limitStreamBody(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, bodyMs: number): void {
  const stream = req.stream;
  if (stream.endAfterHeaders) return;
  const contentType = String(req.headers["content-type"] ?? "");
  if (contentType.startsWith("application/grpc") || contentType.startsWith("application/connect+")) return;
  const timer = setTimeout(() => {
    if (stream.closed || stream.destroyed || stream.state.remoteClose) return;
    if (res.headersSent) {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      return;
    }
    res.writeHead(408, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end("request body not received in time\n");
    // RFC 9113 §8.1: a complete answer, then RST_STREAM(NO_ERROR) to stop the upload.
    stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }, bodyMs);
  stream.once("close", () => clearTimeout(timer));
}

/** Reads until the first bytes tell HTTP/2 (the connection preface) from HTTP/1.x; the socket is left paused for `route`. */
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
  };
  socket.on("data", onData);
}
