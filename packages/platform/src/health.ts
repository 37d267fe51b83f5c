import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from "@trellis/contracts";
import { echo } from "./errors.js";

/** A dependency the readiness of a service depends on. */
export interface Dependency {
  id: string;
  healthcheck(): Promise<void>;
  close(): Promise<void>;
}

export interface HealthState {
  /** Set when the process starts draining: every check answers NOT_SERVING from then on. */
  draining: boolean;
}

/**
 * grpc.health.v1.Health: "" is the whole process; a service's full name is that service.
 * SERVING needs every dependency's healthcheck to pass; while `state.draining`, every check
 * answers NOT_SERVING. Check answers NOT_FOUND for an unknown service name; Watch re-checks
 * once a second and sends a status only when it changes.
 */
export function createHealthService(
  serviceNames: string[],
  dependencies: () => Dependency[],
  state: HealthState,
): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  async function status(service: string): Promise<HealthCheckResponse_ServingStatus> {
    if (!known.has(service)) return HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
    if (state.draining) return HealthCheckResponse_ServingStatus.NOT_SERVING;
    try {
      await Promise.all(dependencies().map((d) => d.healthcheck()));
      return HealthCheckResponse_ServingStatus.SERVING;
    } catch {
      return HealthCheckResponse_ServingStatus.NOT_SERVING;
    }
  }
  return {
    async check(req) {
      const s = await status(req.service);
      if (s === HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN) {
        throw new ConnectError(`unknown service ${echo(req.service)}`, Code.NotFound);
      }
      return create(HealthCheckResponseSchema, { status: s });
    },
    async list() {
      const statuses: Record<string, ReturnType<typeof create<typeof HealthCheckResponseSchema>>> = {};
      for (const name of known) statuses[name] = create(HealthCheckResponseSchema, { status: await status(name) });
      return { statuses };
    },
    async *watch(req, ctx) {
      let last: HealthCheckResponse_ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const s = await status(req.service);
        if (s !== last) {
          last = s;
          yield create(HealthCheckResponseSchema, { status: s });
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    },
  };
}
