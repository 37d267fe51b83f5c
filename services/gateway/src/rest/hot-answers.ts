import { isUtf8 } from "node:buffer";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { AnswerSource } from "@trellis/contracts";
import { linkSharedCopy, type OrganizationEpochs } from "@trellis/platform";
import { LRUCache } from "lru-cache";

export interface HotAnswersOptions {
  /** How long a rendered answer may be served again without asking the query service; 0 turns reuse off. */
  maxAgeMs: number;
  /** Bytes of rendered answers kept, at most. */
  maxBytes: number;
  epochs: OrganizationEpochs;
  now?: () => number;
}

interface HotAnswer {
  body: Buffer;
  epoch: number;
  storedAt: number;
}

/**
 * Rendered REST answers the gateway serves again for a short window, without the hops to
 * the query and cache services. An answer is reused only for the same organization and the
 * same request, while the organization's epoch in this process is unchanged (new data, a
 * campaign change or an invalidation seen here retires it at once) and for at most
 * `maxAgeMs`: a change made through another instance is seen once the window has passed,
 * when the next request takes the full path and its version checks.
 */
export function createHotAnswers(options: HotAnswersOptions) {
  const now = options.now ?? Date.now;
  const answers = new LRUCache<string, HotAnswer>({
    maxSize: Math.max(1, options.maxBytes),
    sizeCalculation: (answer, key) => answer.body.length + key.length,
  });
  const keyOf = (organizationId: string, request: string) => `${organizationId}\u0000${request}`;

  return {
    enabled: options.maxAgeMs > 0 && options.maxBytes > 0,

    /** The epoch to store an answer under: read before the answer is computed. */
    epochOf: (organizationId: string) => options.epochs.current(organizationId),

    get(organizationId: string, request: string): Buffer | undefined {
      const key = keyOf(organizationId, request);
      const answer = answers.get(key);
      if (!answer) return undefined;
      if (answer.epoch !== options.epochs.current(organizationId) || now() - answer.storedAt >= options.maxAgeMs) {
        answers.delete(key);
        return undefined;
      }
      return answer.body;
    },

    set(organizationId: string, request: string, epoch: number, body: Buffer): void {
      if (epoch !== options.epochs.current(organizationId)) return;
      answers.set(keyOf(organizationId, request), { body, epoch, storedAt: now() });
    },
  };
}

export type HotAnswers = ReturnType<typeof createHotAnswers>;

/** Questions with larger bodies (reports) are not kept in the hot window: their key is the body. */
const MAX_REUSED_BODY_BYTES = 16 * 1024;

/**
 * Whether a request may be answered from the hot window. `Cache-Control: max-age=0` asks for
 * an answer checked against current versions (the cache's levels always are); no-cache and
 * no-store skip the caches altogether. The key is the body as text: bytes that are not text
 * are never looked up.
 */
export function acceptsHotAnswer(cacheControl: string | null, body: Buffer): boolean {
  if (body.length > MAX_REUSED_BODY_BYTES || (body.length > 0 && !isUtf8(body))) return false;
  if (cacheControl === null) return true;
  const value = cacheControl.toLowerCase();
  return !value.includes("no-store") && !value.includes("no-cache") && !/max-age\s*=\s*0\b/.test(value);
}

/** The same question is the same path, query string and body, byte for byte. */
export function hotRequestOf(pathname: string, search: string, body: Buffer): string {
  return body.length > 0 ? `${pathname}${search}\n${body.toString("utf8")}` : pathname + search;
}

/** The same answer, marked as served again from the gateway's hot window. */
export function asHotAnswer(output: MessageShape<DescMessage>): MessageShape<DescMessage> {
  const meta = (output as { meta?: { source: AnswerSource } }).meta;
  if (!meta) return output;
  return linkSharedCopy({ ...output, meta: { ...meta, source: AnswerSource.GATEWAY } }, output);
}
