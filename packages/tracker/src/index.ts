import { fileURLToPath } from "node:url";

/** Where the built tracker is (`npm run build -w @trellis/tracker` writes it; `npm start` and `npm test` build it when stale). */
export const trackerScriptPath = fileURLToPath(new URL("../dist/tracker.js", import.meta.url));
