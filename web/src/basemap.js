// Coastlines and land borders over the globe's imagery, offline: Natural Earth's 1:110m
// countries, turned into basemap.json (a GeoJSON FeatureCollection of two MultiLineStrings,
// degrees) by build.mjs. One static primitive, drawn on the ellipsoid along geodesics.
"use strict";

window.TracklayerBasemap = (function () {
  const COLORS = { coastline: "#e2e8f0", border: "#94a3b8" };

  function instances(collection) {
    const out = [];
    for (const feature of collection.features) {
      const kind = feature.properties && feature.properties.kind;
      const color = Cesium.Color.fromCssColorString(COLORS[kind] || COLORS.border).withAlpha(0.8);
      for (const line of feature.geometry.coordinates) {
        if (line.length < 2) continue;
        out.push(new Cesium.GeometryInstance({
          geometry: new Cesium.PolylineGeometry({
            positions: Cesium.Cartesian3.fromDegreesArray(line.flat()),
            width: 1.0,
            arcType: Cesium.ArcType.GEODESIC,
            vertexFormat: Cesium.PolylineColorAppearance.VERTEX_FORMAT,
          }),
          attributes: { color: Cesium.ColorGeometryInstanceAttribute.fromColor(color) },
        }));
      }
    }
    return out;
  }

  // Adds the lines to the viewer; resolves to the number of polylines drawn (0 when the
  // file is missing: the globe still works without it).
  async function add(viewer) {
    let collection;
    try {
      const r = await fetch("basemap.json");
      if (!r.ok) return 0;
      collection = await r.json();
    } catch (err) {
      console.warn("tracklayer: no coastlines", err);
      return 0;
    }
    const lines = instances(collection);
    viewer.scene.primitives.add(new Cesium.Primitive({
      geometryInstances: lines,
      appearance: new Cesium.PolylineColorAppearance({ translucent: true }),
      asynchronous: false,
    }));
    viewer.scene.requestRender();
    return lines.length;
  }

  return { add: add };
})();
