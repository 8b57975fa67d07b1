// Build the picture page into src/tracklayer/service/static/ (a build output, git-ignored).
//
// No bundler: the page is plain scripts. Cesium's prebuilt IIFE build (Cesium.js, Workers,
// Assets with the Natural Earth II imagery, Widgets, ThirdParty wasm) is copied under
// static/cesium/, and our index.html, app.js and style.css beside it. The new folder is
// assembled next to the old one and swapped in with renames, so a server never reads a
// half-built page.
//
// Usage: npm ci && node build.mjs [--out DIR]
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outArg = process.argv.indexOf("--out");
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(here, "..", "src", "tracklayer", "service", "static"));
const cesiumBuild = join(here, "node_modules", "cesium", "Build", "Cesium");
const CESIUM_PARTS = ["Cesium.js", "Workers", "Assets", "Widgets", "ThirdParty"];
const PAGE_FILES = ["index.html", "app.js", "style.css"];

if (!existsSync(join(cesiumBuild, "Cesium.js"))) {
  console.error(`build.mjs: ${cesiumBuild} not found; run "npm ci" in web/ first`);
  process.exit(1);
}
const naturalEarth = join(cesiumBuild, "Assets", "Textures", "NaturalEarthII", "tilemapresource.xml");
if (!existsSync(naturalEarth)) {
  console.error(`build.mjs: the Natural Earth II imagery is missing from the cesium package (${naturalEarth})`);
  process.exit(1);
}

const stage = `${out}.build-${process.pid}`;
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, "cesium"), { recursive: true });
for (const part of CESIUM_PARTS) {
  cpSync(join(cesiumBuild, part), join(stage, "cesium", part), { recursive: true });
}
for (const file of PAGE_FILES) {
  cpSync(join(here, "src", file), join(stage, file));
}
const cesiumVersion = JSON.parse(readFileSync(join(here, "node_modules", "cesium", "package.json"), "utf8")).version;
writeFileSync(join(stage, "build.json"), JSON.stringify({ cesium: cesiumVersion, built: new Date().toISOString() }) + "\n");

const old = `${out}.old-${process.pid}`;
if (existsSync(out)) renameSync(out, old);
renameSync(stage, out);
rmSync(old, { recursive: true, force: true });
console.log(`build.mjs: page with Cesium ${cesiumVersion} built in ${out}`);
