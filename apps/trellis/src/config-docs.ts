import { renderConfigTables, withConfigTables } from "@trellis/platform";
import { processEnvShapes } from "./config.js";

/** The configuration reference of every process, as README.md holds it between its markers. */
export function configReference(): string {
  return renderConfigTables(processEnvShapes);
}

/** README.md's text with its configuration reference regenerated from the schemas. */
export function readmeWithConfigReference(readme: string): string {
  return withConfigTables(readme, configReference());
}
