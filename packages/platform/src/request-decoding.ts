import { create, type DescMessage, type DescMethod, type JsonReadOptions, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextKey,
  createContextValues,
  type Interceptor,
} from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { FieldViolationSchema, FieldViolationsSchema } from "@trellis/contracts";
import { clip } from "./errors.js";

/*
 * A request whose body is not a message of its method's type is the caller's mistake, but
 * Connect reports a protobuf body it cannot decode (random bytes, a truncated message, a
 * string that is not UTF-8) as INTERNAL: "parse binary: …", an HTTP 500. Here it becomes
 * INVALID_ARGUMENT naming the body, on every protocol, without decoding anything twice:
 *  - a streamed request: the interceptor below sees the failure as the handler reads the
 *    stream, and raises INVALID_ARGUMENT in its place;
 *  - a unary request is decoded before any interceptor runs. The interceptor records that
 *    the chain was entered; an answer of "parse binary" INTERNAL to a request that never
 *    entered it can only be about the request's own body, and is rewritten on its way out.
 * A "parse binary" failure of a peer's answer (a call made by a handler) is left as it is.
 * JSON bodies that are not UTF-8 are refused by a strict decoder (see strictJsonOptions).
 */

/** Whether the request's message was decoded (the interceptor chain was entered). */
const kRequestDecoding = createContextKey<{ decoded: boolean } | undefined>(undefined, {
  description: "request decoding",
});

const PARSE_BINARY = "parse binary: ";

/** Wire-compatible request messages, by the name of the message their bytes are. */
const wireNames = new WeakMap<DescMessage, string>();

/**
 * `method` reading its requests with `input`, a message with the same bytes on the wire as its
 * own input (e.g. a field of messages read as bytes). An error about a body that cannot be read
 * names the method's own input: what the caller sent.
 */
export function withWireCompatibleInput<M extends DescMethod, I extends DescMessage>(
  method: M,
  input: I,
): Omit<M, "input"> & { input: I } {
  wireNames.set(input, method.input.typeName);
  return { ...method, input };
}

/** The name of the message a request's body is meant to be. */
function bodyTypeName(input: DescMessage): string {
  return wireNames.get(input) ?? input.typeName;
}

/** Connect's own report of a protobuf message it could not decode. */
function isParseFailure(error: ConnectError): boolean {
  return error.code === Code.Internal && error.rawMessage.startsWith(PARSE_BINARY);
}

function reasonFor(typeName: string, failure: string): string {
  return `is not a valid ${typeName} message (${clip(failure.slice(PARSE_BINARY.length), 100)})`;
}

function invalidBody(typeName: string, failure: string, cause?: unknown): ConnectError {
  const reason = reasonFor(typeName, failure);
  return new ConnectError(
    `body: ${reason}`,
    Code.InvalidArgument,
    undefined,
    [
      {
        desc: FieldViolationsSchema,
        value: create(FieldViolationsSchema, { violations: [create(FieldViolationSchema, { field: "body", reason })] }),
      },
    ],
    cause,
  );
}

/**
 * JSON options of the RPC layer: request text that is not UTF-8 is refused (INVALID_ARGUMENT,
 * as any JSON Connect cannot read), not decoded with U+FFFD in its place. Connect hands its
 * jsonOptions to its JSON serialization, whose options include the text decoder; unknown
 * fields are ignored, as Connect's default is.
 */
export const strictJsonOptions: Partial<JsonReadOptions> & { textDecoder: { decode(input?: Uint8Array): string } } = {
  ignoreUnknownFields: true,
  textDecoder: new TextDecoder("utf-8", { fatal: true }),
};

async function* refusingUnreadable<T>(messages: AsyncIterable<T>, typeName: string): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    if (error instanceof ConnectError && isParseFailure(error)) throw invalidBody(typeName, error.rawMessage, error);
    throw error;
  }
}

/** Outermost server interceptor: marks the request decoded; a request stream that is not decodable is INVALID_ARGUMENT. */
export function requestDecodingInterceptor(): Interceptor {
  // Not async: it only marks and wraps, and an extra promise per call is measurable in process.
  return (next) => (req) => {
    const state = req.contextValues.get(kRequestDecoding);
    if (state) state.decoded = true;
    if (!req.stream) return next(req);
    return next({ ...req, message: refusingUnreadable(req.message, bodyTypeName(req.method.input)) });
  };
}

const GRPC_WEB_TRAILER_FLAG = 0x80;

function rewriteGrpcTrailer(trailer: Headers, typeName: string): void {
  if (trailer.get("grpc-status") !== String(Code.Internal)) return;
  let message: string;
  try {
    message = decodeURIComponent(trailer.get("grpc-message") ?? "");
  } catch {
    return;
  }
  if (!message.startsWith(PARSE_BINARY)) return;
  trailer.set("grpc-status", String(Code.InvalidArgument));
  trailer.set("grpc-message", encodeURIComponent(`body: ${reasonFor(typeName, message)}`));
  trailer.delete("grpc-status-details-bin");
}

/** A gRPC-web trailer frame ("grpc-status: 13\r\n…"), rewritten when it reports a body it could not decode. */
function rewriteGrpcWebTrailer(chunk: Uint8Array, typeName: string): Uint8Array {
  if (chunk.length < 5 || chunk[0] !== GRPC_WEB_TRAILER_FLAG) return chunk;
  const trailer = new Headers();
  for (const line of Buffer.from(chunk.subarray(5)).toString("utf8").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) trailer.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const before = trailer.get("grpc-status");
  rewriteGrpcTrailer(trailer, typeName);
  if (trailer.get("grpc-status") === before) return chunk;
  let text = "";
  trailer.forEach((value, key) => {
    text += `${key}: ${value}\r\n`;
  });
  const data = Buffer.from(text, "utf8");
  const frame = Buffer.alloc(5 + data.length);
  frame[0] = GRPC_WEB_TRAILER_FLAG;
  frame.writeUInt32BE(data.length, 1);
  data.copy(frame, 5);
  return frame;
}

/** A unary Connect error answer ({"code":"internal","message":"parse binary: …"}), rewritten as a 400. */
async function rewriteConnectError(res: UniversalServerResponse, typeName: string): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body ?? []) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  let error: { code?: unknown; message?: unknown };
  try {
    error = JSON.parse(bytes.toString("utf8")) as typeof error;
  } catch {
    error = {};
  }
  let body: Uint8Array = bytes;
  let status = res.status;
  if (error.code === "internal" && typeof error.message === "string" && error.message.startsWith(PARSE_BINARY)) {
    const reason = reasonFor(typeName, error.message);
    const detail = toBinary(
      FieldViolationsSchema,
      create(FieldViolationsSchema, { violations: [create(FieldViolationSchema, { field: "body", reason })] }),
    );
    body = Buffer.from(
      JSON.stringify({
        code: "invalid_argument",
        message: `body: ${reason}`,
        details: [
          {
            type: FieldViolationsSchema.typeName,
            value: Buffer.from(detail).toString("base64").replace(/=+$/, ""),
          },
        ],
      }),
    );
    status = 400;
  }
  res.header?.set("content-length", String(body.byteLength));
  return {
    ...res,
    status,
    body: (async function* () {
      yield body;
    })(),
  };
}

/** Answers to requests that never entered the interceptor chain, with "could not decode the body" made INVALID_ARGUMENT. */
function refusingUndecodableBodies(handler: UniversalHandler): UniversalHandler {
  const typeName = bodyTypeName(handler.method.input);
  const wrapped = async (req: Parameters<UniversalHandler>[0]): Promise<UniversalServerResponse> => {
    const state = { decoded: false };
    const contextValues = req.contextValues ?? createContextValues();
    contextValues.set(kRequestDecoding, state);
    const res = await handler({ ...req, contextValues });
    if (state.decoded) return res;
    const contentType = res.header?.get("content-type") ?? "";
    const body = res.body;
    if (res.trailer && body) {
      // gRPC: the status is a trailer, final once the body has been read.
      const trailer = res.trailer;
      return {
        ...res,
        body: (async function* () {
          yield* body;
          if (!state.decoded) rewriteGrpcTrailer(trailer, typeName);
        })(),
      };
    }
    if (contentType.startsWith("application/grpc-web") && body) {
      return {
        ...res,
        body: (async function* () {
          for await (const chunk of body) yield state.decoded ? chunk : rewriteGrpcWebTrailer(chunk, typeName);
        })(),
      };
    }
    if (res.status === 500 && contentType.startsWith("application/json") && !res.header?.has("content-encoding"))
      return rewriteConnectError(res, typeName);
    return res;
  };
  return Object.assign(wrapped, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    supportedContentType: handler.supportedContentType,
    allowedMethods: handler.allowedMethods,
  });
}

/** Every handler of a router, answering INVALID_ARGUMENT to a body that is not its method's message. */
export function refuseUndecodableBodies(router: ConnectRouter): void {
  for (let i = 0; i < router.handlers.length; i++) {
    router.handlers[i] = refusingUndecodableBodies(router.handlers[i] as UniversalHandler);
  }
}
