import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { type ContextValues, createContextValues, type HandlerContext } from "@connectrpc/connect";

export interface CallContextInit {
  service: DescService;
  method: DescMethod;
  protocolName: string;
  url: string;
  timeoutMs?: number;
  /** Aborts when the caller goes away. */
  signal?: AbortSignal;
  requestHeader?: Headers;
  values?: ContextValues;
  /**
   * Whether the deadline aborts `signal` here (default). A hop inside the process passes
   * false: its caller's signal already ends at the outer deadline, and only the remaining time
   * needs to travel (as timeoutMs()).
   */
  abortAtDeadline?: boolean;
}

const neverAborted = new AbortController().signal;
const kWritten = Symbol("response metadata written by the handler");
/** Stands for response headers or trailers a handler never touched; never written to. */
const noHeaders = new Headers();

interface Written {
  header?: Headers;
  trailer?: Headers;
}

/**
 * A handler context for a call made inside this process. Unlike Connect's own
 * createHandlerContext it links no controllers and needs no abort when the call ends (an abort
 * allocates a DOMException and wakes every listener): the deadline is a native timeout signal,
 * combined with the caller's signal only when there is one.
 */
export function createCallContext(init: CallContextInit): HandlerContext {
  const deadline = init.timeoutMs !== undefined ? performance.now() + init.timeoutMs : undefined;
  const timeout =
    init.timeoutMs !== undefined && init.abortAtDeadline !== false
      ? AbortSignal.timeout(Math.max(0, Math.ceil(init.timeoutMs)))
      : undefined;
  let signal = init.signal ?? neverAborted;
  if (timeout) signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  const written: Written = {};
  const context = {
    service: init.service,
    method: init.method,
    protocolName: init.protocolName,
    requestMethod: "POST",
    url: init.url,
    signal,
    timeoutMs: () => (deadline === undefined ? undefined : Math.max(0, Math.round(deadline - performance.now()))),
    requestHeader: init.requestHeader ?? new Headers(),
    // Made on first use: most calls never set response metadata, and Headers are costly.
    get responseHeader() {
      written.header ??= new Headers();
      return written.header;
    },
    get responseTrailer() {
      written.trailer ??= new Headers();
      return written.trailer;
    },
    values: init.values ?? createContextValues(),
    [kWritten]: written,
  };
  return context;
}

/** The response headers and trailers a handler set through a call context (empty when it set none). */
export function responseMetadataOf(context: HandlerContext): { header: Headers; trailer: Headers } {
  const written = (context as { [kWritten]?: Written })[kWritten];
  if (!written) return { header: context.responseHeader, trailer: context.responseTrailer };
  return { header: written.header ?? noHeaders, trailer: written.trailer ?? noHeaders };
}
