export { type EmbeddedConfig, embeddedEnvShape, loadEmbeddedConfig, processEnvShapes } from "./config.js";
export { DEMO_ORGANIZATION_ID, ensureDemoOrganization } from "./demo.js";
export { type Embedded, startEmbedded } from "./embedded.js";
