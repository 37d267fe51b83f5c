import type { OrganizationEpochs } from "@trellis/platform";
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
