import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import {
  type EncodedBatch,
  EncodedBatchSchema,
  type IngestEventsRequestFrames,
  IngestEventsRequestFramesSchema,
  IngestEventsRequestSchema,
  IngestEventsResponseSchema,
  IngestService,
  type StreamEventsRequestFrames,
  StreamEventsRequestFramesSchema,
  StreamEventsRequestSchema,
} from "@trellis/contracts";
import {
  DELIMITED_EVENTS_CONTENT_TYPE,
  frameDelimited,
  ValidationError,
  withRepeatedStringsEncoded,
  withWireCompatibleInput,
} from "@trellis/platform";

const ingestEventsFrames = withWireCompatibleInput(IngestService.method.ingestEvents, IngestEventsRequestFramesSchema);
const streamEventsFrames = withWireCompatibleInput(IngestService.method.streamEvents, StreamEventsRequestFramesSchema);
const acceptedEventIds = IngestEventsResponseSchema.field.acceptedEventIds;

/**
 * What ingest receives for a batch of a binary caller: its events, unread, as one body of
 * length-delimited Event messages; a batch the caller sent encoded already, as it came.
 */
function encodedBatch(request: IngestEventsRequestFrames | StreamEventsRequestFrames, path: string): EncodedBatch {
  if (request.encoded) {
    if (request.events.length > 0)
      throw ValidationError.field(`${path}events`, "must be empty when the batch comes encoded (encoded.body)");
    return request.encoded;
  }
  return create(EncodedBatchSchema, {
    contentType: DELIMITED_EVENTS_CONTENT_TYPE,
    body: frameDelimited(request.events),
    batchIdField: "",
  });
}

/**
 * IngestService's methods for binary callers (protobuf over gRPC, gRPC-Web and Connect): each
 * request is read with a wire-compatible message whose events are bytes, so the thread serving
 * requests does not decode events field by field; ingest's workers read them where they are
 * validated, as they read a REST JSON body. An empty batch goes on as it came (ingest refuses it).
 */
export function ingestFramesRoutes(ingest: ServiceImpl<typeof IngestService>): (router: ConnectRouter) => void {
  return (router) => {
    router.rpc(ingestEventsFrames, async (request, context) => {
      const answer = await ingest.ingestEvents(
        create(IngestEventsRequestSchema, {
          batchId: request.batchId,
          encoded: request.events.length > 0 || request.encoded ? encodedBatch(request, "") : undefined,
        }),
        context,
      );
      // These routes answer in binary only: the accepted ids are encoded in one piece.
      const response = create(IngestEventsResponseSchema, answer);
      return withRepeatedStringsEncoded(response, acceptedEventIds, response.acceptedEventIds);
    });
    router.rpc(streamEventsFrames, (requests, context) => {
      let batch = 0;
      async function* unframed() {
        for await (const request of requests) {
          const path = `batches[${batch++}].`;
          yield create(StreamEventsRequestSchema, {
            batchId: request.batchId,
            encoded: request.events.length > 0 || request.encoded ? encodedBatch(request, path) : undefined,
          });
        }
      }
      return ingest.streamEvents(unframed(), context);
    });
  };
}
