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
  const timeout =
    init.timeoutMs !== undefined && init.abortAtDeadline !== false
      ? AbortSignal.timeout(Math.max(0, Math.ceil(init.timeoutMs)))
      : undefined;
  let signal = init.signal ?? neverAborted;
  if (timeout) signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  return new CallContext(init, signal);
}

/** A class, so that a call's context is one object: its methods and getters are made once. */
class CallContext implements HandlerContext {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly protocolName: string;
  readonly requestMethod = "POST";
  readonly url: string;
  readonly requestHeader: Headers;
  readonly values: ContextValues;
  readonly #deadline: number | undefined;
  readonly [kWritten]: Written = {};

  constructor(
    init: CallContextInit,
    readonly signal: AbortSignal,
  ) {
    this.service = init.service;
    this.method = init.method;
    this.protocolName = init.protocolName;
    this.url = init.url;
    this.#deadline = init.timeoutMs !== undefined ? performance.now() + init.timeoutMs : undefined;
    this.requestHeader = init.requestHeader ?? new Headers();
    this.values = init.values ?? createContextValues();
  }

  timeoutMs(): number | undefined {
    return this.#deadline === undefined ? undefined : Math.max(0, Math.round(this.#deadline - performance.now()));
  }

  // Made on first use: most calls never set response metadata, and Headers are costly.
  get responseHeader(): Headers {
    this[kWritten].header ??= new Headers();
    return this[kWritten].header;
  }

  get responseTrailer(): Headers {
    this[kWritten].trailer ??= new Headers();
    return this[kWritten].trailer;
  }
}

/** The response headers and trailers a handler set through a call context (empty when it set none). */
export function responseMetadataOf(context: HandlerContext): { header: Headers; trailer: Headers } {
  const written = (context as { [kWritten]?: Written })[kWritten];
  if (!written) return { header: context.responseHeader, trailer: context.responseTrailer };
  return { header: written.header ?? noHeaders, trailer: written.trailer ?? noHeaders };
}
