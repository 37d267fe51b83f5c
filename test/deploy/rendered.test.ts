import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Model } from "@kubernetes-models/base";
import { Ajv } from "ajv";
import { Deployment, type IDeployment, type IStatefulSet, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { CronJob, type ICronJob, Job } from "kubernetes-models/batch/v1";
import { type INetworkPolicy, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { type IPodDisruptionBudget, PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ConfigMap,
  type IConfigMap,
  type IPersistentVolumeClaim,
  type IPodSpec,
  type IPodTemplateSpec,
  PersistentVolumeClaim,
  Pod,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../helpers/processes.js";
import { clickHouseInstallationSchema, clickHouseKeeperInstallationSchema } from "./altinity-schemas.js";

// Every overlay is rendered by kubectl's own kustomize and every object is validated against
// the Kubernetes API's schemas (kubernetes-models) or, for the Altinity operator's resources,
// against their structural schemas.

/** What every rendered object has; each test reads the rest through its kind's interface. */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
}

/** The fields of the operator's resources the tests read (their schemas check the rest). */
interface ClickHouseInstallationObject extends K8sObject {
  spec: {
    configuration: {
      zookeeper?: { nodes: Array<{ host: string }> };
      clusters: Array<{ name: string; layout: { shardsCount?: number | string; replicasCount: number } }>;
    };
    templates?: { podTemplates?: Array<{ name: string; spec: IPodSpec }> };
  };
}

// Each model class takes its own object shape; they are called with the rendered objects.
const models: Record<string, new (data: never) => Model<unknown>> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "batch/v1/CronJob": CronJob,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
};
const ajv = new Ajv({ allErrors: true, strict: false });
const customResources: Record<string, ReturnType<typeof ajv.compile>> = {
  "clickhouse.altinity.com/v1/ClickHouseInstallation": ajv.compile(clickHouseInstallationSchema),
  "clickhouse-keeper.altinity.com/v1/ClickHouseKeeperInstallation": ajv.compile(clickHouseKeeperInstallationSchema),
};

const overlays = readdirSync(join(repoRoot, "deploy", "overlays")).sort();
const services = ["gateway", "warden", "query", "cache", "ingest", "discovery"];
const rendered = new Map<string, K8sObject[]>();

function kubectl(): string {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "pipe" });
    return "kubectl";
  } catch (error) {
    throw new Error(
      "kubectl is required to render the overlays (`kubectl kustomize`); install it (Debian: kubernetes-client) " +
        `and run the test again: ${(error as Error).message}`,
    );
  }
}

beforeAll(() => {
  const bin = kubectl();
  for (const overlay of overlays) {
    const yaml = execFileSync(bin, ["kustomize", join(repoRoot, "deploy", "overlays", overlay)], {
      encoding: "utf8",
      timeout: 60_000,
    });
    rendered.set(
      overlay,
      parseAllDocuments(yaml)
        .map((d) => d.toJSON() as K8sObject)
        .filter(Boolean),
    );
  }
});

function objects(overlay: string): K8sObject[] {
  return rendered.get(overlay) ?? [];
}

/** The overlay's objects of one kind, read through that kind's interface. */
function ofKind<T>(overlay: string, kind: string): Array<T & K8sObject> {
  return objects(overlay).filter((o) => o.kind === kind) as Array<T & K8sObject>;
}

function podSpecs(overlay: string): Array<{ owner: string; spec: IPodSpec | undefined }> {
  const owned = ["Deployment", "StatefulSet", "Job"].flatMap((kind) =>
    ofKind<{ spec?: { template: IPodTemplateSpec } }>(overlay, kind).map((o) => ({
      owner: `${o.kind}/${o.metadata.name}`,
      spec: o.spec?.template.spec,
    })),
  );
  const scheduled = ofKind<ICronJob>(overlay, "CronJob").map((o) => ({
    owner: `CronJob/${o.metadata.name}`,
    spec: o.spec?.jobTemplate.spec?.template.spec,
  }));
  return [...owned, ...scheduled];
}

const named = <T extends K8sObject>(list: T[], name: string) => list.find((o) => o.metadata.name === name);

describe("rendered overlays", () => {
  it("are dev, staging, prod, and prod autoscaled on requests in flight", () => {
    expect(overlays).toEqual(["dev", "prod", "prod-in-flight", "staging"]);
  });

  it.each(overlays)("%s: every object validates against its API schema", (overlay) => {
    expect(objects(overlay).length).toBeGreaterThan(0);
    for (const object of objects(overlay)) {
      const key = `${object.apiVersion}/${object.kind}`;
      const Model = models[key];
      const custom = customResources[key];
      if (Model) {
        expect(() => new Model(object as never).validate(), `${key} ${object.metadata.name}`).not.toThrow();
      } else if (custom) {
        expect(custom(object), `${key} ${object.metadata.name}: ${ajv.errorsText(custom.errors)}`).toBe(true);
        for (const template of (object as ClickHouseInstallationObject).spec.templates?.podTemplates ?? []) {
          const pod = new Pod({ metadata: { name: template.name }, spec: template.spec });
          expect(() => pod.validate(), `${key} pod template ${template.name}`).not.toThrow();
        }
      } else {
        throw new Error(`${overlay} renders ${key} ${object.metadata.name}, which no schema here covers`);
      }
    }
  });

  it("reject an object the API would reject (the validation can fail)", () => {
    const [deployment] = ofKind<IDeployment>("prod", "Deployment");
    const broken = structuredClone(deployment);
    const requests = broken?.spec?.template.spec?.containers[0]?.resources?.requests;
    if (!requests) throw new Error("the first Deployment has no resource requests");
    requests.cpu = { many: true } as never;
    expect(() => new Deployment(broken as never).validate()).toThrow(/cpu/);
    const [installation] = ofKind<ClickHouseInstallationObject>("prod", "ClickHouseInstallation");
    const badLayout = structuredClone(installation);
    const layout = badLayout?.spec.configuration.clusters[0]?.layout;
    if (!layout) throw new Error("the ClickHouseInstallation has no cluster layout");
    layout.shardsCount = "2";
    expect(customResources["clickhouse.altinity.com/v1/ClickHouseInstallation"]?.(badLayout)).toBe(false);
  });

  it.each(overlays)("%s: every pod runs compiled JavaScript as non-root on a read-only root filesystem", (overlay) => {
    for (const { owner, spec } of podSpecs(overlay)) {
      expect(spec?.securityContext?.runAsNonRoot, owner).toBe(true);
      for (const container of spec?.containers ?? []) {
        expect(container.securityContext?.readOnlyRootFilesystem, owner).toBe(true);
        expect(container.securityContext?.allowPrivilegeEscalation, owner).toBe(false);
        expect(container.resources?.requests?.cpu, owner).toBeDefined();
        expect(container.resources?.requests?.memory, owner).toBeDefined();
        const command = [...(container.command ?? []), ...(container.args ?? [])].join(" ");
        expect(command, owner).not.toMatch(/tsx|\.ts\b/);
      }
    }
  });

  it.each(["staging", "prod", "prod-in-flight"])(
    "%s: each stateless service autoscales, has a disruption budget, spreads, and has a startup probe",
    (overlay) => {
      for (const service of services) {
        const deployment = named(ofKind<IDeployment>(overlay, "Deployment"), service);
        expect(deployment, service).toBeDefined();
        const hpa = named(ofKind<IHorizontalPodAutoscaler>(overlay, "HorizontalPodAutoscaler"), service);
        expect(hpa?.spec?.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: service });
        expect(hpa?.spec?.minReplicas).toBeGreaterThanOrEqual(2);
        expect(hpa?.spec?.metrics?.map((m) => m.resource?.name)).toContain("cpu");
        const pdb = named(ofKind<IPodDisruptionBudget>(overlay, "PodDisruptionBudget"), service);
        expect(pdb?.spec?.selector?.matchLabels).toEqual({ "app.kubernetes.io/name": service });
        const pod = deployment?.spec?.template.spec;
        expect(pod?.topologySpreadConstraints?.map((t) => t.topologyKey)).toEqual([
          "topology.kubernetes.io/zone",
          "kubernetes.io/hostname",
        ]);
        const container = pod?.containers[0];
        expect(container?.startupProbe?.grpc?.port).toBe(container?.ports?.[0]?.containerPort);
      }
    },
  );

  it("prod-in-flight: each stateless service also scales on its requests in flight, served on a metrics port only Prometheus reaches", () => {
    for (const service of services) {
      const hpa = named(ofKind<IHorizontalPodAutoscaler>("prod-in-flight", "HorizontalPodAutoscaler"), service);
      expect(hpa?.spec?.metrics?.map((m) => m.type)).toEqual(["Resource", "Pods"]);
      expect(hpa?.spec?.metrics?.[1]?.pods).toEqual({
        metric: { name: "trellis_requests_in_flight" },
        target: { type: "AverageValue", averageValue: "32" },
      });
      const pod = named(ofKind<IDeployment>("prod-in-flight", "Deployment"), service)?.spec?.template;
      const container = pod?.spec?.containers[0];
      expect(container?.env).toContainEqual({ name: "TRELLIS_METRICS_PORT", value: "9464" });
      expect(container?.ports).toContainEqual({ name: "metrics", containerPort: 9464 });
      expect(pod?.metadata?.annotations).toMatchObject({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9464",
      });
    }
    const scrape = named(ofKind<INetworkPolicy>("prod-in-flight", "NetworkPolicy"), "metrics-scrape");
    expect(scrape?.metadata).toMatchObject({ namespace: "trellis-prod" });
    expect(scrape?.spec?.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
        ports: [{ port: 9464, protocol: "TCP" }],
      },
    ]);
    // Everything else is prod's: the same objects, the autoscalers and pods aside.
    const kinds = (overlay: string) => objects(overlay).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds("prod-in-flight").sort()).toEqual([...kinds("prod"), "NetworkPolicy/metrics-scrape"].sort());
  });

  it.each(["staging", "prod"])("%s: network policies allow exactly the mesh's edges between services", (overlay) => {
    const policies = ofKind<INetworkPolicy>(overlay, "NetworkPolicy");
    expect(named(policies, "default-deny")?.spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
    const edges = new Set<string>();
    for (const target of services) {
      const policy = named(policies, target);
      expect(policy?.spec?.podSelector?.matchLabels).toEqual({ "app.kubernetes.io/name": target });
      for (const rule of policy?.spec?.ingress ?? []) {
        if (!rule.from) edges.add(`clients->${target}`);
        for (const peer of rule.from ?? [])
          edges.add(`${peer.podSelector?.matchLabels?.["app.kubernetes.io/name"]}->${target}`);
      }
    }
    expect([...edges].sort()).toEqual(
      [
        "clients->gateway",
        "gateway->warden",
        "gateway->query",
        "gateway->ingest",
        "gateway->discovery",
        "discovery->query",
        "discovery->cache",
        "query->cache",
        "ingest->cache",
      ].sort(),
    );
    const egressTo = (from: string) =>
      (named(policies, from)?.spec?.egress ?? []).flatMap((rule) =>
        (rule.to ?? []).flatMap((peer) => Object.values(peer.podSelector?.matchLabels ?? {})),
      );
    // In their own policies, only discovery reaches outside the cluster: its webhooks, on HTTPS,
    // never to private ranges (prod's query reaches BigQuery through query-bigquery, below).
    for (const service of services) {
      const rules = (named(policies, service)?.spec?.egress ?? []).filter((rule) =>
        (rule.to ?? []).some((peer) => peer.ipBlock),
      );
      if (service !== "discovery") {
        expect(rules, service).toEqual([]);
        continue;
      }
      expect(rules).toHaveLength(1);
      expect(rules[0]?.ports).toEqual([{ port: 443, protocol: "TCP" }]);
      expect(rules[0]?.to?.[0]?.ipBlock?.except).toEqual(
        expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
      );
    }
    expect(egressTo("discovery")).toContain("query");
    expect(egressTo("gateway").sort()).toEqual(["discovery", "ingest", "query", "warden"]);
    expect(egressTo("cache")).toEqual(["redis"]);
    for (const storeUser of ["warden", "query", "ingest", "discovery"])
      expect(egressTo(storeUser)).toContain("trellis");
    // The BigQuery read path (prod): query reaches Google's APIs on HTTPS, never private ranges.
    const outside = policies.filter((p) => p.metadata.name.endsWith("-bigquery")).map((p) => p.metadata.name);
    expect(outside).toEqual(overlay === "prod" ? ["query-bigquery"] : []);
    if (overlay === "prod") {
      const readPath = named(policies, "query-bigquery")?.spec;
      expect(readPath?.podSelector?.matchLabels).toEqual({ "app.kubernetes.io/name": "query" });
      expect(readPath?.policyTypes).toEqual(["Egress"]);
      expect(readPath?.ingress).toBeUndefined();
      expect(readPath?.egress?.[0]?.ports).toEqual([{ port: 443, protocol: "TCP" }]);
      expect(readPath?.egress?.[0]?.to?.[0]?.ipBlock?.except).toEqual(
        expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
      );
    }
  });

  it("prod: the query service reads BigQuery's project and read path settings from the export's ConfigMap", () => {
    const query = named(ofKind<IDeployment>("prod", "Deployment"), "query")?.spec?.template.spec?.containers[0];
    const fromConfig = (name: string) => query?.env?.find((e) => e.name === name)?.valueFrom?.configMapKeyRef;
    const configMap = ofKind<IConfigMap>("prod", "ConfigMap").find((c) =>
      c.metadata.name.startsWith("trellis-bigquery"),
    );
    for (const [variable, key] of [
      ["TRELLIS_BIGQUERY_PROJECT", "project"],
      ["TRELLIS_BIGQUERY_DATASET", "dataset"],
      ["TRELLIS_BIGQUERY_LOCATION", "location"],
      ["TRELLIS_BIGQUERY_READ_MIN_DAYS", "read_min_days"],
    ] as const) {
      expect(fromConfig(variable), variable).toEqual({ name: configMap?.metadata.name, key });
      expect(configMap?.data?.[key], key).toBeTruthy();
    }
    // The read path answers only ranges the export keeps current (35 days back by default).
    expect(Number(configMap?.data?.read_min_days)).toBeLessThanOrEqual(35);
  });

  it("prod: a ClickHouse cluster of shards and replicas with Keeper, a Redis Cluster and the BigQuery export", () => {
    const [installation] = ofKind<ClickHouseInstallationObject>("prod", "ClickHouseInstallation");
    const cluster = installation?.spec.configuration.clusters[0];
    expect(cluster?.name).toBe("analytics");
    expect(cluster?.layout.shardsCount).toBeGreaterThanOrEqual(2);
    expect(cluster?.layout.replicasCount).toBeGreaterThanOrEqual(2);
    const [keeper] = ofKind<ClickHouseInstallationObject>("prod", "ClickHouseKeeperInstallation");
    expect((keeper?.spec.configuration.clusters[0]?.layout.replicasCount ?? 0) % 2).toBe(1);
    expect(installation?.spec.configuration.zookeeper?.nodes[0]?.host).toBe(`keeper-${keeper?.metadata.name}`);
    const configMaps = ofKind<IConfigMap>("prod", "ConfigMap");
    const config = configMaps.find((c) => c.metadata.name.startsWith("trellis-clickhouse"));
    expect(config?.data?.cluster).toBe(cluster?.name);
    expect(named(ofKind<IStatefulSet>("prod", "StatefulSet"), "redis")?.spec?.replicas).toBe(6);
    expect(named(configMaps, "redis-cluster")?.data?.["redis.conf"]).toContain("cluster-enabled yes");
    const nodes = configMaps.find((c) => c.metadata.name.startsWith("trellis-redis"))?.data?.cluster_nodes ?? "";
    const exportJob = named(ofKind<ICronJob>("prod", "CronJob"), "bigquery-export");
    expect(exportJob?.spec?.concurrencyPolicy).toBe("Forbid");
    expect(exportJob?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.command).toEqual([
      "node",
      "./apps/trellis/src/main.js",
      "export",
    ]);
    expect(nodes.split(",").every((n) => /^redis-\d\.redis\.trellis-prod:6379$/.test(n))).toBe(true);
  });

  it("dev: the whole product in one pod with the embedded engine's data on a PersistentVolumeClaim", () => {
    const deployments = ofKind<IDeployment>("dev", "Deployment");
    expect(deployments.map((d) => d.metadata.name)).toEqual(["trellis"]);
    const [deployment] = deployments;
    expect(deployment?.spec?.replicas).toBe(1);
    expect(deployment?.spec?.strategy?.type).toBe("Recreate");
    const pod = deployment?.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.env?.find((e) => e.name === "TRELLIS_SERVICE")).toBeUndefined();
    const dataDir = container?.env?.find((e) => e.name === "TRELLIS_DATA_DIR")?.value;
    const mount = container?.volumeMounts?.find((m) => m.mountPath === dataDir);
    const volume = pod?.volumes?.find((v) => v.name === mount?.name);
    const [claim] = ofKind<IPersistentVolumeClaim>("dev", "PersistentVolumeClaim");
    expect(volume?.persistentVolumeClaim?.claimName).toBe(claim?.metadata.name);
  });
});
