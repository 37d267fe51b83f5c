import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";

/** What a REST route is: its method and path, the RPC that answers it, and how a request becomes that RPC's message. */
export interface RestInput {
  query: URLSearchParams;
  body: unknown;
  /** Values of the `{name}` segments of the route's path. */
  path: Record<string, string>;
}

export interface RawRestInput {
  query: URLSearchParams;
  raw: Buffer;
  contentType: string;
  idempotencyKey?: string;
}

export interface RestRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Exact, or with `{name}` segments (one path segment each). */
  path: string;
  rpc: DescMethod;
  parse(input: RestInput): MessageShape<DescMessage>;
  /**
   * A question answered through the query service's cache: the gateway may serve the same
   * rendered answer to the same request (path, query string and body) again within its hot
   * window (see hot-answers.ts).
   */
  reusable?: boolean;
  /** Routes that stream a file (CSV, NDJSON) from a server-streaming RPC. */
  download?(
    input: RestInput,
    stream: (message: MessageShape<DescMessage>) => AsyncIterable<MessageShape<DescMessage>>,
  ): { contentType: string; lines: AsyncIterable<string | Uint8Array> };
  /** Routes that shape their own answer: given the raw body and a way to call the RPC. */
  exchange?(
    input: RawRestInput,
    invoke: (message: MessageShape<DescMessage>) => Promise<MessageShape<DescMessage>>,
  ): Promise<{ status: number; body: unknown }>;
}

/** The path parameters when `pathname` fits the route's path, else undefined. */
export function matchPath(template: string, pathname: string): Record<string, string> | undefined {
  if (!template.includes("{")) return template === pathname ? {} : undefined;
  const want = template.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const value = got[i] as string;
    if (segment.startsWith("{") && segment.endsWith("}")) {
      if (value === "") return undefined;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (segment !== value) {
      return undefined;
    }
  }
  return params;
}
