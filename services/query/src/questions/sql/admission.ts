import { ResourceExhaustedError } from "@trellis/platform";

export interface AdmissionLimits {
  /** Statements of one organization running at once. */
  perOrganization: number;
  /** Statements of all organizations running at once. */
  total: number;
  /** Statements waiting for a turn, all organizations together; more are refused. */
  maxWaiting: number;
}

export interface Admission {
  /** Runs `work` when the limits allow it, waiting in line (FIFO) or refused when the line is full. */
  run<T>(organizationId: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

interface Waiter {
  organizationId: string;
  admit(): void;
}

/**
 * Admission for work that holds one of the engine's threads for long (tenant SQL, up to its
 * time limit): no organization may take more than its share of them, and together they
 * leave threads for everyone's other questions, ingest and authentication.
 */
export function createAdmission(limits: AdmissionLimits): Admission {
  let active = 0;
  const activeByOrganization = new Map<string, number>();
  const line: Waiter[] = [];

  const canStart = (organizationId: string) =>
    active < limits.total && (activeByOrganization.get(organizationId) ?? 0) < limits.perOrganization;

  function start(organizationId: string): void {
    active++;
    activeByOrganization.set(organizationId, (activeByOrganization.get(organizationId) ?? 0) + 1);
  }

  function finish(organizationId: string): void {
    active--;
    const left = (activeByOrganization.get(organizationId) ?? 1) - 1;
    if (left === 0) activeByOrganization.delete(organizationId);
    else activeByOrganization.set(organizationId, left);
    // The first in line that may start now does, and so on while the limits allow.
    for (let i = 0; i < line.length && active < limits.total; ) {
      const waiter = line[i] as Waiter;
      if (canStart(waiter.organizationId)) {
        line.splice(i, 1);
        start(waiter.organizationId);
        waiter.admit();
      } else i++;
    }
  }

  function wait(organizationId: string, signal: AbortSignal | undefined): Promise<void> {
    if (line.length >= limits.maxWaiting) {
      throw new ResourceExhaustedError(
        `too many SQL statements are running or waiting (at most ${limits.total} run at once); retry in a second`,
        1,
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        organizationId,
        admit: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = line.indexOf(waiter);
        if (index !== -1) line.splice(index, 1);
        reject(signal?.reason ?? new Error("aborted"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      line.push(waiter);
    });
  }

  return {
    async run(organizationId, signal, work) {
      if (canStart(organizationId)) start(organizationId);
      else await wait(organizationId, signal);
      try {
        return await work();
      } finally {
        finish(organizationId);
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return line.length;
    },
  };
}
