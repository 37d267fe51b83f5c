import { defineConfig } from "vite";

// The gateway serves dist/ at `/` with a strict Content-Security-Policy: no inline script, so
// no module-preload polyfill; hashed names under assets/ are cached for a year.
export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
