import http from "node:http";
import type { AddressInfo } from "node:net";

export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

export interface MetricsEndpointOptions {
  host: string;
  port: number;
  /** The service the figures are of (the `service` label). */
  service: string;
  /** Requests the service's port has started and not yet finished (RunningServer.inFlight). */
  inFlight: () => number;
}

/** The label value escaped as the Prometheus text format wants it. */
function labelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/**
 * A Prometheus text endpoint (`GET /metrics`) on a port of its own, apart from the service's
 * port (a gateway's port faces clients): the requests in flight, as a gauge that a Prometheus
 * scrape and a metrics adapter turn into the Pods metric a HorizontalPodAutoscaler scales on
 * (`deploy/components/autoscale-in-flight`). Only GET of that one path; any other request is
 * refused without reading a body, and a client gets 5 s to send its request head.
 */
export async function startMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const service = labelValue(options.service);
  const server = http.createServer({ headersTimeout: 5_000, requestTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8", connection: "close" });
      res.end("not found: the metrics are at /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8", connection: "close" });
      res.end("/metrics takes GET\n");
      return;
    }
    const body =
      "# HELP trellis_requests_in_flight Requests the service has started and not yet answered.\n" +
      "# TYPE trellis_requests_in_flight gauge\n" +
      `trellis_requests_in_flight{service="${service}"} ${options.inFlight()}\n`;
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
