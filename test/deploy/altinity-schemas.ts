/**
 * Structural schemas of the Altinity operator's custom resources, for the fields these
 * manifests use: the kinds, the cluster layout (shards, replicas), Keeper's address and the
 * templates the defaults name. The operator's CRDs accept far more; these reject what it would
 * reject or silently ignore in what we write (a misspelt field, a string where a count belongs).
 */
const metadata = {
  type: "object",
  required: ["name"],
  properties: { name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" }, labels: { type: "object" } },
};

const volumeClaimTemplates = {
  type: "array",
  items: {
    type: "object",
    required: ["name", "spec"],
    additionalProperties: false,
    properties: {
      name: { type: "string" },
      spec: {
        type: "object",
        required: ["accessModes", "resources"],
        properties: {
          accessModes: { type: "array", items: { enum: ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"] } },
          resources: {
            type: "object",
            required: ["requests"],
            properties: { requests: { type: "object", required: ["storage"] } },
          },
        },
      },
    },
  },
};

const podTemplates = {
  type: "array",
  items: {
    type: "object",
    required: ["name", "spec"],
    additionalProperties: false,
    properties: {
      name: { type: "string" },
      podDistribution: {
        type: "array",
        items: {
          type: "object",
          required: ["type"],
          properties: {
            type: {
              enum: [
                "ShardAntiAffinity",
                "ReplicaAntiAffinity",
                "ClickHouseAntiAffinity",
                "NamespaceAntiAffinity",
                "MaxNumberPerNode",
              ],
            },
          },
        },
      },
      // A core PodSpec: validated with the Kubernetes models by the test.
      spec: { type: "object", required: ["containers"] },
    },
  },
};

const layout = (required: string[]) => ({
  type: "object",
  required,
  additionalProperties: false,
  properties: {
    shardsCount: { type: "integer", minimum: 1 },
    replicasCount: { type: "integer", minimum: 1 },
  },
});

export const clickHouseInstallationSchema = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "clickhouse.altinity.com/v1" },
    kind: { const: "ClickHouseInstallation" },
    metadata,
    spec: {
      type: "object",
      required: ["configuration", "templates"],
      additionalProperties: false,
      properties: {
        defaults: {
          type: "object",
          properties: {
            templates: {
              type: "object",
              additionalProperties: false,
              properties: {
                podTemplate: { type: "string" },
                dataVolumeClaimTemplate: { type: "string" },
                serviceTemplate: { type: "string" },
              },
            },
          },
        },
        configuration: {
          type: "object",
          required: ["clusters", "zookeeper"],
          additionalProperties: false,
          properties: {
            zookeeper: {
              type: "object",
              required: ["nodes"],
              properties: {
                nodes: {
                  type: "array",
                  minItems: 1,
                  items: {
                    type: "object",
                    required: ["host"],
                    additionalProperties: false,
                    properties: { host: { type: "string" }, port: { type: "integer" } },
                  },
                },
              },
            },
            users: { type: "object" },
            profiles: { type: "object" },
            settings: { type: "object" },
            clusters: {
              type: "array",
              minItems: 1,
              items: {
                type: "object",
                required: ["name", "layout"],
                additionalProperties: false,
                properties: {
                  name: { type: "string", pattern: "^[a-zA-Z0-9-_]+$" },
                  layout: layout(["shardsCount", "replicasCount"]),
                },
              },
            },
          },
        },
        templates: {
          type: "object",
          additionalProperties: false,
          properties: {
            podTemplates,
            volumeClaimTemplates,
            serviceTemplates: {
              type: "array",
              items: {
                type: "object",
                required: ["name", "spec"],
                additionalProperties: false,
                properties: { name: { type: "string" }, generateName: { type: "string" }, spec: { type: "object" } },
              },
            },
          },
        },
      },
    },
  },
};

export const clickHouseKeeperInstallationSchema = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "clickhouse-keeper.altinity.com/v1" },
    kind: { const: "ClickHouseKeeperInstallation" },
    metadata,
    spec: {
      type: "object",
      required: ["configuration"],
      additionalProperties: false,
      properties: {
        defaults: {
          type: "object",
          properties: {
            templates: {
              type: "object",
              additionalProperties: false,
              properties: { podTemplate: { type: "string" }, dataVolumeClaimTemplate: { type: "string" } },
            },
          },
        },
        configuration: {
          type: "object",
          required: ["clusters"],
          additionalProperties: false,
          properties: {
            settings: { type: "object" },
            clusters: {
              type: "array",
              minItems: 1,
              items: {
                type: "object",
                required: ["name", "layout"],
                additionalProperties: false,
                properties: { name: { type: "string" }, layout: layout(["replicasCount"]) },
              },
            },
          },
        },
        templates: {
          type: "object",
          additionalProperties: false,
          properties: { podTemplates, volumeClaimTemplates },
        },
      },
    },
  },
};
