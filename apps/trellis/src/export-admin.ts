import type { Interceptor } from "@connectrpc/connect";
import { type BigQueryConfig, createBigQueryClient } from "@trellis/bigquery";
import { ExportService } from "@trellis/contracts";
import { createExportApp, createExporter, type ExportApp, type Exporter } from "@trellis/export";
import type { Logger, ServiceApp } from "@trellis/platform";
import { effectiveCampaignSource } from "@trellis/query";
import type { Store } from "@trellis/store";
import { createWardenRepository } from "@trellis/warden";
import { chain } from "./admin-port.js";
import type { EmbeddedConfig } from "./config.js";

/**
 * The BigQuery export of this process: scheduled and on demand when a project is configured,
 * its status and runs behind the admin token either way (the status then says it is off).
 */
export function createProcessExport(config: EmbeddedConfig, store: Store, logger: Logger): ExportApp {
  const exporter = config.bigquery ? exporterFor(config.bigquery, store, logger) : undefined;
  return createExportApp({ exporter, adminToken: config.warden.adminToken });
}

/** The export of every organization Warden knows, from this store to the configured dataset. */
export function exporterFor(config: BigQueryConfig, store: Store, logger: Logger): Exporter {
  const repository = createWardenRepository(store);
  return createExporter(config, {
    store,
    bigquery: createBigQueryClient(config),
    logger,
    organizations: async () => (await repository.listOrganizations()).map((o) => o.id),
    effectiveCampaign: effectiveCampaignSource(store, logger),
  });
}

/** The public app plus ExportService on the same port; ExportService calls go through its own (admin) auth. */
export function withExportAdmin<A extends ServiceApp>(publicApp: A, exportApp: ExportApp): A {
  const publicAuth = chain(publicApp.authInterceptors);
  const exportAuth = chain(exportApp.authInterceptors);
  const auth: Interceptor = (next) => {
    const toPublic = publicAuth(next);
    const toExport = exportAuth(next);
    return async (req) => (req.service.typeName === ExportService.typeName ? toExport(req) : toPublic(req));
  };
  return {
    ...publicApp,
    services: [...publicApp.services, ExportService],
    routes(router) {
      publicApp.routes(router);
      exportApp.routes(router);
    },
    authInterceptors: [auth],
  };
}
