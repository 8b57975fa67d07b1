// File mode of the picture page (`tracklayer view DIR`): a finished run's CZML scene.
//
// The scene (tracklayer.io.scene) opens on its `region` packet and its clock's raid window,
// playing. Every object packet carries properties.kind, .legend (its one legend name) and
// .color (the swatch); the legend lists each name once. The info box of a selected object
// is computed at the clock's time from the packet's properties (phase, status, speed,
// 3-sigma size, error against truth, the threat a track follows) and its position
// (altitude); a threat's info box says which trackers hold it. Layers on demand: sensor
// footprints, fields of regard above the limb (a ring riding with each satellite where its
// edge rays pass the Earth), whole orbit paths, lines of sight of detections (threats' solid,
// false alarms' dashed, to where they meet the Earth or pass it), every track's 3-sigma
// ellipsoid (a selected track always shows its own: hundreds of time-varying ellipsoids
// are rebuilt every frame, too slow for software WebGL). Tracks are drawn as
// MIL-STD-2525C hostile missile symbols (milsymbol) in their tracker's colour. Clicking a
// legend entry hides or shows its objects.
"use strict";

window.TracklayerScene = (function () {
  const KIND_ORDER = [
    "satellite", "regard", "ground_sensor", "station", "truth", "track", "joint", "fused", "sight",
    "false_alarm", "link",
  ];
  // The layer (a box under the legend) that shows each kind drawn on demand.
  const LAYER_OF_KIND = { sight: "sights", false_alarm: "sights", regard: "regard" };
  const TRACK_KINDS = new Set(["track", "joint", "fused"]);
  const ORBIT_MAX_S = 3 * 3600;
  const DEFAULT_TRAIL_S = 900;
  const NOT_HELD = new Set(["deleted"]);

  function create(viewer, page) {
    const view = {
      source: null,
      region: null,
      layers: { footprints: false, regard: false, orbits: false, sights: true, ellipsoids: false },
      selectedOrbit: null,
      selectedTrack: null,
      hidden: new Set(), // legend names whose objects are hidden
    };

    const now = () => viewer.clock.currentTime;
    const entities = () => (view.source ? view.source.entities.values : []);

    function prop(entity, name, time) {
      const bag = entity.properties;
      if (!bag || !bag.hasProperty(name)) return undefined;
      return bag[name].getValue(time || now());
    }

    function kindOf(entity) {
      return prop(entity, "kind");
    }

    // ------------------------------------------------------------ legend

    // A packet without a legend name (a scene written by other tools) is grouped by kind.
    function fallbackLegend(entity, kind) {
      if (kind === "satellite") return `${prop(entity, "owner") || ""} satellites`.trim();
      if (kind === "truth") return "threats (truth)";
      if (kind === "link") return "network links";
      if (kind === "station") return "ground stations";
      if (TRACK_KINDS.has(kind)) return `${prop(entity, "tracker") || kind} tracks`;
      return kind;
    }

    // The colour an entity is drawn in (its point's or its line's), as CSS.
    function drawnColor(entity) {
      const time = now();
      const property = (entity.point && entity.point.color) ||
        (entity.polyline && entity.polyline.material && entity.polyline.material.color);
      const color = property ? property.getValue(time) : undefined;
      return color ? color.withAlpha(1.0).toCssColorString() : "#e5e7eb";
    }

    function rank(kind) {
      const i = KIND_ORDER.indexOf(kind);
      return i < 0 ? KIND_ORDER.length : i;
    }

    function legendOf(entity) {
      return prop(entity, "legend") || fallbackLegend(entity, kindOf(entity));
    }

    // An object shows unless its legend entry is switched off (or, for a kind drawn on
    // demand, its layer is).
    function applyShow(entity) {
      const kind = kindOf(entity);
      if (!kind || kind === "region") return;
      const layer = LAYER_OF_KIND[kind];
      entity.show = !view.hidden.has(legendOf(entity)) && (!layer || view.layers[layer]);
    }

    // Clicking a legend entry hides or shows its objects.
    function toggleGroup(label) {
      if (view.hidden.has(label)) view.hidden.delete(label);
      else view.hidden.add(label);
      for (const e of entities()) applyShow(e);
      page.render();
      return !view.hidden.has(label);
    }

    function groups() {
      const out = new Map();
      for (const e of entities()) {
        const kind = kindOf(e);
        if (!kind || kind === "region") continue;
        const label = legendOf(e);
        let group = out.get(label);
        if (!group) {
          const color = prop(e, "color") || drawnColor(e);
          group = { label: label, kind: kind, count: 0, color: color, hidden: view.hidden.has(label) };
          out.set(label, group);
        }
        group.count += 1;
      }
      return Array.from(out.values()).sort(
        (a, b) => rank(a.kind) - rank(b.kind) || a.label.localeCompare(b.label),
      );
    }

    // ------------------------------------------------------------ figures at a time

    function cartographic(entity, time) {
      const p = entity.position ? entity.position.getValue(time) : undefined;
      return p ? Cesium.Cartographic.fromCartesian(p) : undefined;
    }

    function speedOf(entity, time) {
      const given = prop(entity, "speed_mps", time);
      if (given !== undefined) return given;
      if (!entity.position) return undefined;
      const a = entity.position.getValue(Cesium.JulianDate.addSeconds(time, -0.5, new Cesium.JulianDate()));
      const b = entity.position.getValue(Cesium.JulianDate.addSeconds(time, 0.5, new Cesium.JulianDate()));
      return a && b ? Cesium.Cartesian3.distance(a, b) : undefined;
    }

    function metres(value) {
      if (value === undefined || value === null || !isFinite(value)) return "-";
      return value < 10000 ? `${value.toFixed(0)} m` : `${(value / 1000).toFixed(1)} km`;
    }

    function kmh(value) {
      return value === undefined ? "-" : `${(value / 1000).toFixed(2)} km/s`;
    }

    function place(entity, time) {
      if (!entity.position) return [];
      const c = cartographic(entity, time);
      if (!c) return [["position", "not available at this time"]];
      const lat = Cesium.Math.toDegrees(c.latitude).toFixed(3);
      const lon = Cesium.Math.toDegrees(c.longitude).toFixed(3);
      return [["latitude, longitude", `${lat}°, ${lon}°`], ["altitude", metres(c.height)]];
    }

    function trackEntities() {
      return entities().filter((e) => TRACK_KINDS.has(kindOf(e)));
    }

    // The trackers whose tracks follow a threat at a time (status not deleted).
    function holders(threat, time) {
      const held = [];
      for (const e of trackEntities()) {
        if (prop(e, "truth", time) !== threat || !e.isAvailable(time)) continue;
        const status = prop(e, "status", time);
        if (NOT_HELD.has(status)) continue;
        held.push(`${prop(e, "tracker", time)} (${e.name.split("/").slice(1).join("/")}, ${status})`);
      }
      return held.length ? held.sort().join("; ") : "no tracker";
    }

    function holderOf(entity, time) {
      const kind = kindOf(entity);
      const tracker = prop(entity, "tracker", time);
      if (kind === "joint") return "the joint tracker (every sensor's detections)";
      if (kind === "fused") return "the fused picture (track-to-track fusion of the national tracks)";
      return `${tracker}'s national tracker (its own sensors)`;
    }

    function truthEntity(threat) {
      return threat && view.source ? view.source.entities.getById(`truth/${threat}`) : undefined;
    }

    function rowsOf(entity, time) {
      const kind = kindOf(entity);
      if (kind === "truth") {
        return [
          ["threat", entity.name],
          ["type", prop(entity, "type", time) || "-"],
          ["phase", prop(entity, "phase", time) || "-"],
          ...place(entity, time),
          ["speed (Earth-fixed)", kmh(speedOf(entity, time))],
          ["held by", holders(entity.name, time)],
        ];
      }
      if (TRACK_KINDS.has(kind)) {
        const threat = prop(entity, "truth", time);
        const truth = truthEntity(threat);
        return [
          ["track", entity.name],
          ["held by", holderOf(entity, time)],
          ["status", prop(entity, "status", time) || "-"],
          ["threat followed", threat || "none within 100 km"],
          ["phase", truth ? prop(truth, "phase", time) || "-" : "-"],
          ...place(entity, time),
          ["speed (Earth-fixed)", kmh(speedOf(entity, time))],
          ["3σ size (largest semi-axis)", metres(prop(entity, "sigma3_m", time))],
          ["error against truth", threat ? metres(prop(entity, "error_m", time)) : "-"],
        ];
      }
      if (kind === "satellite") {
        const period = prop(entity, "period_s", time);
        return [
          ["satellite", entity.name],
          ["owner", prop(entity, "owner", time) || "-"],
          ["constellation", prop(entity, "constellation", time) || "-"],
          ["sensor", prop(entity, "sensor", time) || "-"],
          ...place(entity, time),
          ["speed (Earth-fixed)", kmh(speedOf(entity, time))],
          ["orbital period", period ? `${(period / 60).toFixed(1)} min` : "-"],
          ["footprint radius", metres(prop(entity, "footprint_m", time))],
        ];
      }
      if (kind === "sight") {
        return [["sensor", prop(entity, "sensor", time)], ["threat", prop(entity, "threat", time)], ...lineLength(entity, time)];
      }
      if (kind === "false_alarm") {
        const ends = entity.polyline.positions.getValue(time);
        return [
          ["sensor", prop(entity, "sensor", time)],
          ["false alarms now", ends ? String(ends.length / 2) : "0"],
          ["seen against", prop(entity, "background", time) || "-"],
          ["range to the Earth or limb", ends && ends.length >= 2 ? metres(Cesium.Cartesian3.distance(ends[0], ends[1])) : "-"],
        ];
      }
      if (kind === "regard") {
        return [
          ["satellite", prop(entity, "satellite", time)],
          ["edge rays pass the Earth at", `${metres(prop(entity, "ring_height_m", time))} above it`],
          ["ring's ground radius", metres(prop(entity, "ring_radius_m", time))],
        ];
      }
      return [...otherProperties(entity, time), ...place(entity, time), ...lineLength(entity, time)];
    }

    // A two-point line's length (a sight line's range, a link's span).
    function lineLength(entity, time) {
      if (!entity.polyline || !entity.polyline.positions) return [];
      const ends = entity.polyline.positions.getValue(time);
      const length = ends && ends.length === 2 ? Cesium.Cartesian3.distance(ends[0], ends[1]) : undefined;
      return [["range", metres(length)]];
    }

    // Any other packet (the network's links, ...): its properties as they stand.
    function otherProperties(entity, time) {
      const bag = entity.properties;
      if (!bag) return [];
      return bag.propertyNames
        .filter((name) => !["legend", "color"].includes(name))
        .map((name) => {
          const value = bag[name].getValue(time);
          return [name.replace(/_/g, " "), value === undefined ? "-" : String(value)];
        });
    }

    function describeAt(entity, time) {
      const rows = [["time (UTC)", Cesium.JulianDate.toIso8601(time, 0)], ...rowsOf(entity, time)];
      return "<table class=\"cesium-infoBox-defaultTable\"><tbody>" +
        rows.map(([k, v]) => `<tr><th>${page.escapeHtml(k)}</th><td>${page.escapeHtml(v)}</td></tr>`).join("") +
        "</tbody></table>";
    }

    // ------------------------------------------------------------ drawing

    function dress(entity) {
      const kind = kindOf(entity);
      if (!kind || kind === "region") return;
      applyShow(entity);
      entity.description = new Cesium.CallbackProperty((time) => describeAt(entity, time), false);
      if (TRACK_KINDS.has(kind)) {
        if (entity.ellipsoid) entity.ellipsoid.show = view.layers.ellipsoids;
        const symbol = window.TracklayerSymbols.billboard(prop(entity, "color") || "#e5e7eb");
        if (symbol) {
          entity.billboard = symbol;
          if (entity.point) entity.point.show = false;
        }
      }
    }

    function orbitFor(entity, on) {
      if (!entity.path) return;
      const period = prop(entity, "period_s");
      const whole = on && period && period <= ORBIT_MAX_S;
      entity.path.leadTime = whole ? period / 2 : 0;
      entity.path.trailTime = whole ? period / 2 : DEFAULT_TRAIL_S;
    }

    function setLayer(name, on) {
      view.layers[name] = !!on;
      for (const e of entities()) {
        const kind = kindOf(e);
        if (name === "footprints" && kind === "satellite" && e.ellipse) e.ellipse.show = view.layers.footprints;
        if (name === "orbits" && kind === "satellite") orbitFor(e, view.layers.orbits || e === view.selectedOrbit);
        if (LAYER_OF_KIND[kind] === name) applyShow(e);
        if (name === "ellipsoids" && TRACK_KINDS.has(kind) && e.ellipsoid) {
          e.ellipsoid.show = view.layers.ellipsoids || e === view.selectedTrack;
        }
      }
      page.render();
    }

    // A selected satellite shows its whole orbit, a selected track its ellipsoid; the ones
    // selected before go back to the layers' choice.
    function onSelected(entity) {
      const kind = entity ? kindOf(entity) : undefined;
      const previous = view.selectedOrbit;
      view.selectedOrbit = kind === "satellite" ? entity : null;
      if (previous && previous !== view.selectedOrbit) orbitFor(previous, view.layers.orbits);
      if (view.selectedOrbit) orbitFor(view.selectedOrbit, true);
      const track = view.selectedTrack;
      view.selectedTrack = TRACK_KINDS.has(kind) ? entity : null;
      if (track && track !== view.selectedTrack && track.ellipsoid) track.ellipsoid.show = view.layers.ellipsoids;
      if (view.selectedTrack && view.selectedTrack.ellipsoid) view.selectedTrack.ellipsoid.show = true;
    }

    // ------------------------------------------------------------ camera and clock

    function regionOf(source) {
      const e = source.entities.getById("region");
      if (!e) return null;
      const r = {};
      for (const k of ["west_deg", "south_deg", "east_deg", "north_deg"]) r[k] = prop(e, k);
      return r;
    }

    // The region with half its size again on each side, so its surroundings show too.
    function regionView(r) {
      const dw = (r.east_deg - r.west_deg) / 2;
      const dh = (r.north_deg - r.south_deg) / 2;
      return Cesium.Rectangle.fromDegrees(
        r.west_deg - dw, Math.max(r.south_deg - dh, -89), r.east_deg + dw, Math.min(r.north_deg + dh, 89),
      );
    }

    function goHome() {
      if (view.region) viewer.camera.setView({ destination: regionView(view.region) });
    }

    async function start(url) {
      const source = await Cesium.CzmlDataSource.load(url);
      await viewer.dataSources.add(source);
      view.source = source;
      viewer.clockTrackedDataSource = source;
      for (const e of source.entities.values) dress(e);
      view.region = regionOf(source);
      goHome();
      viewer.homeButton.viewModel.command.beforeExecute.addEventListener((event) => {
        if (view.region) {
          event.cancel = true;
          goHome();
        }
      });
      viewer.selectedEntityChanged.addEventListener(onSelected);
      if (viewer.timeline && source.clock) viewer.timeline.zoomTo(source.clock.startTime, source.clock.stopTime);
      viewer.clock.shouldAnimate = true;
      return source;
    }

    // ------------------------------------------------------------ test hooks

    function visibleThreats() {
      const time = now();
      const camera = viewer.camera.positionWC;
      const occluder = new Cesium.EllipsoidalOccluder(Cesium.Ellipsoid.WGS84, camera);
      const canvas = viewer.scene.canvas;
      const out = [];
      for (const e of entities()) {
        if (kindOf(e) !== "truth" || !e.isAvailable(time)) continue;
        const p = e.position.getValue(time);
        if (!p || !occluder.isPointVisible(p)) continue;
        const w = Cesium.SceneTransforms.worldToWindowCoordinates(viewer.scene, p);
        if (w && w.x >= 0 && w.y >= 0 && w.x <= canvas.clientWidth && w.y <= canvas.clientHeight) out.push(e.name);
      }
      return out.sort();
    }

    function summary() {
      const c = viewer.camera.positionCartographic;
      const kinds = {};
      for (const e of entities()) {
        const k = kindOf(e);
        if (k && k !== "region") kinds[k] = (kinds[k] || 0) + 1;
      }
      return {
        camera: {
          lon_deg: Cesium.Math.toDegrees(c.longitude),
          lat_deg: Cesium.Math.toDegrees(c.latitude),
          height_m: c.height,
        },
        clock: {
          time: Cesium.JulianDate.toIso8601(now(), 3),
          start: Cesium.JulianDate.toIso8601(viewer.clock.startTime, 3),
          stop: Cesium.JulianDate.toIso8601(viewer.clock.stopTime, 3),
          animating: viewer.clock.shouldAnimate,
          multiplier: viewer.clock.multiplier,
        },
        region: view.region,
        sceneKinds: kinds,
        visibleThreats: visibleThreats(),
        layers: Object.assign({}, view.layers),
        hidden: Array.from(view.hidden).sort(),
      };
    }

    function select(id) {
      const e = view.source ? view.source.entities.getById(id) : undefined;
      viewer.selectedEntity = e;
      return !!e;
    }

    return {
      start: start,
      groups: groups,
      summary: summary,
      select: select,
      setLayer: setLayer,
      toggleGroup: toggleGroup,
      entities: entities,
    };
  }

  return { create: create };
})();
