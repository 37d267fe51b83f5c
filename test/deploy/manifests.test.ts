import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../helpers/processes.js";

const deploy = join(repoRoot, "deploy");
const services = ["gateway", "warden", "query", "cache", "ingest", "discovery"];

function load(path: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJSON() as Record<string, unknown>);
}

interface Container {
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }>;
  ports: Array<{ name: string; containerPort: number }>;
  readinessProbe?: { grpc?: { port: number } };
  livenessProbe?: { grpc?: { port: number } };
  resources?: { requests?: unknown; limits?: unknown };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}

describe("kubernetes manifests", () => {
  it("reference only files that exist, from every kustomization", () => {
    const kustomizations = [
      "base",
      ...services.map((s) => `base/${s}`),
      "base/migrate",
      ...readdirSync(join(deploy, "overlays")).map((o) => `overlays/${o}`),
      ...readdirSync(join(deploy, "components")).map((c) => `components/${c}`),
    ];
    for (const dir of kustomizations) {
      const [k] = load(join(deploy, dir, "kustomization.yaml")) as Array<{
        resources?: string[];
        components?: string[];
      }>;
      for (const ref of [...(k?.resources ?? []), ...(k?.components ?? [])]) {
        expect(existsSync(join(deploy, dir, ref)), `${dir} -> ${ref}`).toBe(true);
      }
    }
    expect(readdirSync(join(deploy, "overlays")).sort()).toEqual(["dev", "prod", "prod-in-flight", "staging"]);
  });

  it.each(services)("run %s as a locked-down pod with gRPC health probes on its named port", (service) => {
    const [deployment] = load(join(deploy, "base", service, "deployment.yaml")) as Array<{
      kind: string;
      spec: { template: { spec: { securityContext: { runAsNonRoot: boolean }; containers: Container[] } } };
    }>;
    expect(deployment?.kind).toBe("Deployment");
    const pod = deployment?.spec.template.spec;
    expect(pod?.securityContext.runAsNonRoot).toBe(true);
    const container = pod?.containers[0];
    const port = container?.ports.find((p) => p.name === "grpc")?.containerPort;
    expect(port).toBeGreaterThan(0);
    expect(container?.readinessProbe?.grpc?.port).toBe(port);
    expect(container?.livenessProbe?.grpc?.port).toBe(port);
    expect(container?.resources?.requests).toBeDefined();
    expect(container?.resources?.limits).toBeDefined();
    expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container?.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(container?.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    expect(container?.env.find((e) => e.name === "TRELLIS_SERVICE")?.value).toBe(service);
    // Secrets come from Secret references, never literals.
    for (const variable of container?.env ?? []) {
      if (/SECRET|PASSWORD|TOKEN/.test(variable.name))
        expect(variable.valueFrom?.secretKeyRef, variable.name).toBeDefined();
    }
    const [svc] = load(join(deploy, "base", service, "service.yaml")) as Array<{
      spec: { ports: Array<{ name: string; port: number }> };
    }>;
    expect(svc?.spec.ports[0]).toMatchObject({ name: "grpc", port });
  });

  it("migrate the schema in one Job, run as a locked-down pod with the store's settings from config and secrets", () => {
    const [job] = load(join(deploy, "base", "migrate", "job.yaml")) as Array<{
      kind: string;
      spec: {
        ttlSecondsAfterFinished?: number;
        template: {
          spec: {
            restartPolicy: string;
            securityContext: { runAsNonRoot: boolean };
            containers: Array<Container & { command: string[] }>;
          };
        };
      };
    }>;
    expect(job?.kind).toBe("Job");
    expect(job?.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const pod = job?.spec.template.spec;
    expect(pod?.restartPolicy).toBe("OnFailure");
    expect(pod?.securityContext.runAsNonRoot).toBe(true);
    const container = pod?.containers[0];
    expect(container?.command.slice(-2)).toEqual(["./apps/trellis/src/main.js", "migrate"]);
    expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(container?.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    const names = container?.env.map((e) => e.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(["TRELLIS_CLICKHOUSE_URL", "TRELLIS_CLICKHOUSE_DATABASE"]));
    for (const variable of container?.env ?? []) {
      if (/SECRET|PASSWORD|TOKEN|USER/.test(variable.name))
        expect(variable.valueFrom?.secretKeyRef, variable.name).toBeDefined();
    }
    const [base] = load(join(deploy, "base", "kustomization.yaml")) as Array<{ resources: string[] }>;
    expect(base?.resources).toContain("migrate");
  });
});
