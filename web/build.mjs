// Bundles the codecanvas web page into dist/: app-HASH.js and app-HASH.css (content-hashed,
// so the server may let browsers cache them for good) and index.html pointing at them.
// Everything the page needs is in dist/; it loads nothing from the internet.
import * as esbuild from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(here, "src/main.js") },
  bundle: true,
  minify: process.env.CODECANVAS_WEB_DEBUG !== "1",
  format: "esm",
  target: ["es2020"],
  entryNames: "[name]-[hash]",
  outdir: join(out, "assets"),
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const names = {};
for (const file of Object.keys(result.metafile.outputs)) {
  const name = basename(file);
  names[name.replace(/-[A-Z0-9]+\./, ".")] = name;
}
let html = readFileSync(join(here, "index.html"), "utf8");
html = html.replace(/\{\{([a-z.]+)\}\}/g, (_, key) => {
  if (!names[key]) throw new Error(`index.html wants ${key}, which the bundle did not produce`);
  return names[key];
});
writeFileSync(join(out, "index.html"), html);
console.log(`codecanvas-web: built ${out}: index.html, ${Object.values(names).join(", ")}`);
