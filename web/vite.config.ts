// Builds the reps' SPA into web/dist, which the Worker serves as static assets: Preact with its JSX, every
// route its own lazily loaded chunk, and a size report of the first load and each route (web/size-report.ts).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { sizeReportPlugin } from "./size-report.ts";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  plugins: [sizeReportPlugin()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
