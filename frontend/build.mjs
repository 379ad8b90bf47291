// Bundles the page scripts (and hls.js from npm) into src/airwave/web/static/build/, which git ignores.
// `npm run build` runs it; `make` runs that whenever a file in frontend/ changes.
import { build } from "esbuild";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "src", "airwave", "web", "static", "build");

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: {
    player: join(root, "frontend", "player.js"),
    live: join(root, "frontend", "live.js"),
    guide: join(root, "frontend", "guide.js"),
    site: join(root, "frontend", "site.js"),
    admin: join(root, "frontend", "admin.js"),
  },
  outdir,
  bundle: true,
  format: "iife",
  target: ["es2020"],
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});
