export * from "./config.js";
export * from "./errors.js";
export * from "./events-table.js";
export * from "./migrations/index.js";
export * from "./store.js";
export * from "./time.js";
