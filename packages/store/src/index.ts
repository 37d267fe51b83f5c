export * from "./config.js";
export * from "./errors.js";
export * from "./events-block.js";
export * from "./events-table.js";
export { ensureSchema, SchemaBehindError } from "./migrate.js";
export * from "./migrations/index.js";
export * from "./native.js";
export * from "./store.js";
export * from "./time.js";
