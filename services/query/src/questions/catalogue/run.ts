import { create } from "@bufbuild/protobuf";
import { CatalogFieldSchema, type GetCatalogResponse, GetCatalogResponseSchema } from "@trellis/contracts";
import { rollups } from "@trellis/store";
import { dimensions, metrics, operatorsFor } from "@trellis/traffic-rules";

/** Rollups that can answer for a field, fewest rows first. */
function rollupsHolding(dimension?: string): string[] {
  return [...rollups]
    .sort((a, b) => a.dimensions.length - b.dimensions.length)
    .filter((r) => dimension === undefined || (r.dimensions as readonly string[]).includes(dimension))
    .map((r) => r.name);
}

/** The typed catalogue as the API describes it. */
export function describeCatalog(): GetCatalogResponse {
  return create(GetCatalogResponseSchema, {
    dimensions: dimensions.map((d) =>
      create(CatalogFieldSchema, {
        name: d.name,
        type: d.type,
        description: d.description,
        operators: operatorsFor(d.type),
        rollups: rollupsHolding(d.name),
      }),
    ),
    metrics: metrics.map((m) =>
      create(CatalogFieldSchema, {
        name: m.name,
        type: m.type,
        description: m.description,
        operators: operatorsFor(m.type),
        rollups: rollupsHolding(),
      }),
    ),
    tables: ["analytics_events", ...rollupsHolding()],
  });
}
