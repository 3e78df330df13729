// Builds the form embed script into web/dist/embed.js: one minified classic script (an IIFE, so that
// document.currentScript finds its tag), run after the SPA build, which empties web/dist.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  publicDir: false,
  build: {
    outDir: "dist",
    emptyOutDir: false,
    target: "es2020",
    minify: true,
    lib: {
      entry: fileURLToPath(new URL("embed/embed.ts", import.meta.url)),
      formats: ["iife"],
      name: "crmEmbed",
      fileName: () => "embed.js",
    },
  },
});
