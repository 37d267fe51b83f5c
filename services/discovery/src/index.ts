export { createDiscoveryApp } from "./app.js";
export {
  type DiscoveryConfig,
  discoveryConfigFrom,
  discoveryEnvShape,
  loadConfig as loadDiscoveryConfig,
} from "./config.js";
