// The web console (README "Web console"): built into dist/console by `npm run build` (and so by
// `npm install`), served by syncplane at /console/.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  esbuild: { jsx: "automatic" },
  logLevel: "warn",
});
