// A gRPC client of IngestService.IngestEvents for load tests: requests encoded before the load
// (gRPC frames: a flag byte, the length, the message) and sent on one HTTP/2 connection, so the
// client costs next to nothing while the product is measured (protobuf-es's toBinary alone
// takes ~25 µs an event, more than the product's whole pipeline).
import http2 from "node:http2";
import { create, fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { EventSchema, IngestEventsRequestSchema, IngestEventsResponseSchema } from "@trellis/contracts";

/** A batch of events as NDJSON lines, encoded as one gRPC request frame. */
export function grpcIngestFrame(lines: readonly string[], batchId: string): Buffer {
  const events = lines.map((line) => fromJson(EventSchema, JSON.parse(line) as JsonValue));
  const message = toBinary(IngestEventsRequestSchema, create(IngestEventsRequestSchema, { batchId, events }));
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

export interface GrpcIngestAnswer {
  /** 200 for gRPC status OK, else the gRPC status code. */
  status: number;
  accepted: number;
  message?: string;
}

export function createGrpcIngestClient(url: string, apiKey: string) {
  // Windows large enough for a batch's answer (5,000 event ids), as the server's are for its
  // request. The session may hold every request in flight (a few MB each) while the server reads
  // them: past Node's default of 10 MB a session refuses its next streams itself
  // (ENHANCE_YOUR_CALM), which six 3 MB batches in flight reached when the server's answers came
  // later (a longer flush window).
  const session = http2.connect(url, {
    maxSessionMemory: 256,
    settings: { initialWindowSize: 4 * 1024 * 1024 },
  });
  session.on("error", () => {});
  return {
    send(frame: Buffer): Promise<GrpcIngestAnswer> {
      return new Promise((resolve, reject) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/trellis.warehouse.v1.IngestService/IngestEvents",
          "content-type": "application/grpc+proto",
          te: "trailers",
          authorization: `Bearer ${apiKey}`,
        });
        const chunks: Buffer[] = [];
        let status = -1;
        let message: string | undefined;
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("trailers", (trailers) => {
          status = Number(trailers["grpc-status"]);
          message = trailers["grpc-message"] as string | undefined;
        });
        stream.on("error", reject);
        stream.on("close", () => {
          const body = Buffer.concat(chunks);
          if (status !== 0 || body.length < 5)
            return resolve({ status: status < 0 ? Code.Unknown : status, accepted: 0, message });
          const answer = fromBinary(IngestEventsResponseSchema, body.subarray(5, 5 + body.readUInt32BE(1)));
          resolve({ status: 200, accepted: answer.accepted });
        });
        stream.end(frame);
      });
    },
    close: () => session.close(),
  };
}
