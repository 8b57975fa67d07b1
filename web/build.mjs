// Build the picture page into src/tracklayer/service/static/ (a build output, git-ignored).
//
// No bundler: the page is plain scripts. Cesium's prebuilt IIFE build (Cesium.js, Workers,
// Assets with the Natural Earth II imagery, Widgets, ThirdParty wasm) is copied under
// static/cesium/, milsymbol's UMD build (military symbols for tracks) as milsymbol.js, and
// our index.html, app.js, scene.js, symbols.js, basemap.js and style.css beside them. basemap.json is
// made here: the coastlines and the land borders of Natural Earth's 1:110m countries
// (public domain, from the world-atlas package's TopoJSON), as a GeoJSON FeatureCollection
// of two MultiLineStrings in degrees. The new folder is assembled next to the old one and
// swapped in with renames, so a server never reads a half-built page.
//
// Usage: npm ci && node build.mjs [--out DIR]
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

const here = dirname(fileURLToPath(import.meta.url));
const outArg = process.argv.indexOf("--out");
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : join(here, "..", "src", "tracklayer", "service", "static"));
const cesiumBuild = join(here, "node_modules", "cesium", "Build", "Cesium");
const CESIUM_PARTS = ["Cesium.js", "Workers", "Assets", "Widgets", "ThirdParty"];
const PAGE_FILES = ["index.html", "app.js", "scene.js", "symbols.js", "basemap.js", "style.css"];
const MILSYMBOL = join(here, "node_modules", "milsymbol", "dist", "milsymbol.js");
const COUNTRIES = join(here, "node_modules", "world-atlas", "countries-110m.json");

if (!existsSync(join(cesiumBuild, "Cesium.js"))) {
  console.error(`build.mjs: ${cesiumBuild} not found; run "npm ci" in web/ first`);
  process.exit(1);
}
const naturalEarth = join(cesiumBuild, "Assets", "Textures", "NaturalEarthII", "tilemapresource.xml");
if (!existsSync(naturalEarth)) {
  console.error(`build.mjs: the Natural Earth II imagery is missing from the cesium package (${naturalEarth})`);
  process.exit(1);
}

for (const need of [MILSYMBOL, COUNTRIES]) {
  if (!existsSync(need)) {
    console.error(`build.mjs: ${need} not found; run "npm ci" in web/ first`);
    process.exit(1);
  }
}

// Coastlines (arcs on one country only) and borders (arcs shared by two), 0.001 deg steps.
function basemap() {
  const { mesh } = require("topojson-client");
  const topology = JSON.parse(readFileSync(COUNTRIES, "utf8"));
  const round = (line) => line.map(([lon, lat]) => [Math.round(lon * 1000) / 1000, Math.round(lat * 1000) / 1000]);
  const feature = (kind, filter) => ({
    type: "Feature",
    properties: { kind: kind, source: "Natural Earth 1:110m admin 0 countries (world-atlas 2.0.2)" },
    geometry: {
      type: "MultiLineString",
      coordinates: mesh(topology, topology.objects.countries, filter).coordinates.map(round),
    },
  });
  return {
    type: "FeatureCollection",
    features: [feature("coastline", (a, b) => a === b), feature("border", (a, b) => a !== b)],
  };
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
cpSync(MILSYMBOL, join(stage, "milsymbol.js"));
writeFileSync(join(stage, "basemap.json"), JSON.stringify(basemap()));
const cesiumVersion = JSON.parse(readFileSync(join(here, "node_modules", "cesium", "package.json"), "utf8")).version;
writeFileSync(join(stage, "build.json"), JSON.stringify({ cesium: cesiumVersion, built: new Date().toISOString() }) + "\n");

const old = `${out}.old-${process.pid}`;
if (existsSync(out)) renameSync(out, old);
renameSync(stage, out);
rmSync(old, { recursive: true, force: true });
console.log(`build.mjs: page with Cesium ${cesiumVersion} built in ${out}`);
