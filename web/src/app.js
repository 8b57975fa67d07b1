// The tracklayer picture page: a CesiumJS globe of the combined picture.
//
// Two modes, one viewer:
// - service mode (the default): a partner logs in with its token (kept in sessionStorage,
//   so it lives as long as the tab), the page reads the partner's visible track history
//   over REST and then follows the live WebSocket stream; it shows the partner's own
//   national tracks, the other partners' tracks released to it, and the system (fused)
//   tracks, each as a MIL-STD-2525C hostile missile symbol (milsymbol, symbols.js) in its
//   class's colour, with its 3-sigma position ellipsoid and its history as a polyline.
// - file mode (`?scene=URL`, used by `tracklayer view DIR`): a finished run's CZML scene
//   (satellites, threat truth, tracks, lines of sight) on a timeline, opening on the
//   threats' region and window with the clock playing (scene.js).
//
// Nothing leaves the machine: the base layer is the Natural Earth II imagery shipped inside
// Cesium, coastlines and borders are Natural Earth's 1:110m (basemap.js), there is no terrain
// provider, no geocoder, no Ion token and no Cesium ion logo; the page's CSP allows only its
// own origin. window.tracklayer exposes the page's state to tests.
"use strict";

(function () {
  const TOKEN_KEY = "tracklayer.token";
  const MAX_SAMPLES_PER_TRACK = 2000;
  const SIGMA = 3.0;
  const COLORS = {
    own: "#38bdf8",
    other: "#fb923c",
    fused: "#e879f9",
    truth: "#ef4444",
    satellite: "#a3e635",
  };
  const LABELS = {
    own: "own tracks",
    other: "partners' tracks",
    fused: "fused system tracks",
  };

  const params = new URLSearchParams(window.location.search);
  const sceneUrl = params.get("scene");
  const mode = sceneUrl ? "file" : "service";

  const state = {
    mode: mode,
    partner: null,
    connected: false,
    ready: false,
    messages: 0,
    detections: 0,
    lastUpdate: null,
    framed: false,
    error: null,
    tracks: new Map(), // "<tracker>/<track_id>" -> {tracker, trackId, samples: Map(ms -> record), entity}
    fused: new Map(), // track_id -> entity
    scene: null, // file mode: the scene view (scene.js)
    basemapLines: 0, // coastline and border polylines drawn
    software: false, // WebGL draws on the CPU: lighter rendering
  };
  let socket = null;
  let loggedOut = false;
  let reconnectDelayMs = 1000;

  const el = (id) => document.getElementById(id);

  function setStatus(text, level) {
    const node = el("status");
    node.textContent = text;
    node.className = level || "";
  }

  // ---------------------------------------------------------------- the viewer

  // Software WebGL (SwiftShader: no GPU, remote desktops, CI) draws every pixel on the
  // CPU; there the page gives up multisampling and atmosphere effects to stay responsive.
  function softwareRendering() {
    if (params.has("lite")) return true;
    try {
      const gl = document.createElement("canvas").getContext("webgl2") ||
        document.createElement("canvas").getContext("webgl");
      if (!gl) return false;
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();
      return /swiftshader|llvmpipe|software/i.test(String(name));
    } catch (err) {
      return false;
    }
  }

  function makeViewer() {
    const fileMode = mode === "file";
    const lite = softwareRendering();
    state.software = lite;
    const imagery = Cesium.TileMapServiceImageryProvider.fromUrl(
      Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"),
    );
    // Credits go to a box that is never shown (no Cesium ion logo); the legend names the
    // data's sources instead.
    const credits = document.createElement("div");
    credits.hidden = true;
    const viewer = new Cesium.Viewer("globe", {
      creditContainer: credits,
      baseLayer: Cesium.ImageryLayer.fromProviderAsync(imagery),
      baseLayerPicker: false,
      geocoder: false,
      homeButton: true,
      sceneModePicker: true,
      navigationHelpButton: false,
      fullscreenButton: false,
      animation: fileMode,
      timeline: fileMode,
      shouldAnimate: false,
      terrainProvider: new Cesium.EllipsoidTerrainProvider(),
      // Draw only when something changes (or, in file mode, when the clock moves):
      // a live picture page may stay open all day.
      requestRenderMode: true,
      maximumRenderTimeChange: fileMode ? 0.0 : Infinity,
      msaaSamples: lite ? 1 : 4,
      skyAtmosphere: lite ? false : undefined,
    });
    viewer.scene.globe.enableLighting = false;
    viewer.scene.globe.showGroundAtmosphere = !lite;
    viewer.scene.fog.enabled = !lite;
    return viewer;
  }

  let viewer;
  try {
    viewer = makeViewer();
  } catch (err) {
    state.error = String(err && err.message ? err.message : err);
    setStatus("cannot start the 3D globe: " + state.error, "bad");
    window.tracklayer = { state: state, summary: () => summary() };
    return;
  }

  function render() {
    viewer.scene.requestRender();
  }

  // ---------------------------------------------------------------- shared helpers

  function colorOf(kind) {
    return Cesium.Color.fromCssColorString(COLORS[kind]);
  }

  function classOf(tracker) {
    if (tracker === "fused") return "fused";
    return tracker === state.partner ? "own" : "other";
  }

  // The 3-sigma ellipsoid of a 6x6 row-major covariance's position block: radii along
  // the eigenvectors, and the rotation whose columns are those eigenvectors.
  function ellipsoidOf(cov) {
    const m = new Cesium.Matrix3(
      cov[0], cov[1], cov[2],
      cov[6], cov[7], cov[8],
      cov[12], cov[13], cov[14],
    );
    const eig = Cesium.Matrix3.computeEigenDecomposition(m);
    const u = eig.unitary;
    if (Cesium.Matrix3.determinant(u) < 0) {
      const c0 = Cesium.Matrix3.getColumn(u, 0, new Cesium.Cartesian3());
      Cesium.Matrix3.setColumn(u, 0, Cesium.Cartesian3.negate(c0, c0), u);
    }
    const d = eig.diagonal;
    const r = (v) => Math.max(SIGMA * Math.sqrt(Math.max(v, 0)), 1.0);
    return {
      radii: new Cesium.Cartesian3(
        r(d[Cesium.Matrix3.COLUMN0ROW0]),
        r(d[Cesium.Matrix3.COLUMN1ROW1]),
        r(d[Cesium.Matrix3.COLUMN2ROW2]),
      ),
      orientation: Cesium.Quaternion.fromRotationMatrix(u),
      sigma: Math.sqrt(Math.max(cov[0] + cov[7] + cov[14], 0)),
    };
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  }

  function describe(rec, extra) {
    const speed = Math.hypot(rec.vx, rec.vy, rec.vz);
    const carto = Cesium.Cartographic.fromCartesian(new Cesium.Cartesian3(rec.x, rec.y, rec.z));
    const rows = [
      ["tracker", rec.tracker],
      ["track", rec.track_id],
      ["time (UTC)", rec.time],
      ["status", rec.status],
      ["latitude, longitude", carto
        ? `${Cesium.Math.toDegrees(carto.latitude).toFixed(3)}°, ${Cesium.Math.toDegrees(carto.longitude).toFixed(3)}°`
        : "-"],
      ["altitude", carto ? `${(carto.height / 1000).toFixed(1)} km` : "-"],
      ["speed", `${(speed / 1000).toFixed(2)} km/s`],
      ["position sigma (RSS)", `${ellipsoidOf(rec.cov).sigma.toFixed(0)} m`],
      ...(extra || []),
    ];
    return "<table class=\"cesium-infoBox-defaultTable\"><tbody>" +
      rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("") +
      "</tbody></table>";
  }

  // ---------------------------------------------------------------- legend

  function legendItem(color, label, count) {
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = color;
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    li.append(sw, name);
    if (count !== undefined) {
      const n = document.createElement("span");
      n.className = "count";
      n.textContent = String(count);
      li.append(n);
    }
    return li;
  }

  function updateLegend() {
    const list = el("legend-items");
    list.replaceChildren();
    if (mode === "service") {
      const s = summary();
      const own = state.partner ? `${LABELS.own} (${state.partner})` : LABELS.own;
      list.append(
        legendItem(COLORS.own, own, s.own.length),
        legendItem(COLORS.other, LABELS.other, s.others.length),
        legendItem(COLORS.fused, LABELS.fused, s.fused.length),
      );
      return;
    }
    for (const group of sceneGroups()) {
      const li = legendItem(group.color, group.label, group.count);
      li.classList.add("toggle");
      li.classList.toggle("off", group.hidden);
      li.title = "Click to hide or show";
      li.addEventListener("click", () => {
        state.scene.toggleGroup(group.label);
        updateLegend();
      });
      list.append(li);
    }
  }

  // ---------------------------------------------------------------- service mode

  function authHeaders(token) {
    return { Authorization: "Bearer " + token };
  }

  function upsertTrack(rec) {
    const key = `${rec.tracker}/${rec.track_id}`;
    let track = state.tracks.get(key);
    if (!track) {
      track = { tracker: rec.tracker, trackId: rec.track_id, samples: new Map(), entity: null };
      state.tracks.set(key, track);
    }
    track.samples.set(Date.parse(rec.time), rec);
    if (track.samples.size > MAX_SAMPLES_PER_TRACK) {
      const oldest = Math.min(...track.samples.keys());
      track.samples.delete(oldest);
    }
    return track;
  }

  function drawTrack(key, track) {
    const times = Array.from(track.samples.keys()).sort((a, b) => a - b);
    const list = times.map((t) => track.samples.get(t));
    const latest = list[list.length - 1];
    const kind = classOf(track.tracker);
    const color = colorOf(kind);
    const position = new Cesium.Cartesian3(latest.x, latest.y, latest.z);
    const history = list.map((r) => new Cesium.Cartesian3(r.x, r.y, r.z));
    const ell = ellipsoidOf(latest.cov);
    const live = latest.status !== "deleted";
    const properties = { kind: kind, tracker: track.tracker, status: latest.status };
    if (!track.entity) {
      // In front of a fused track's larger symbol at the same place: an eye offset draws
      // it 200 km nearer the eye (its place on screen does not move).
      const symbol = window.TracklayerSymbols.billboard(COLORS[kind], 18, {
        eyeOffset: new Cesium.Cartesian3(0, 0, -2.0e5),
      });
      track.entity = viewer.entities.add({
        id: "track/" + key,
        name: key,
        position: position,
        orientation: ell.orientation,
        billboard: symbol,
        // A plain point stands in only where the symbols are missing.
        point: { pixelSize: 8, color: color, outlineColor: Cesium.Color.BLACK, outlineWidth: 1 },
        label: {
          text: key,
          font: "12px sans-serif",
          fillColor: color,
          showBackground: true,
          backgroundColor: new Cesium.Color(0.07, 0.09, 0.15, 0.7),
          pixelOffset: new Cesium.Cartesian2(0, symbol ? -22 : -16),
          distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 2.5e7),
        },
        polyline: {
          positions: history,
          width: 2,
          arcType: Cesium.ArcType.NONE,
          material: color.withAlpha(0.85),
        },
        ellipsoid: { radii: ell.radii, material: color.withAlpha(0.3) },
        properties: properties,
      });
    } else {
      const e = track.entity;
      e.position = position;
      e.orientation = ell.orientation;
      e.polyline.positions = history;
      e.ellipsoid.radii = ell.radii;
      e.properties = new Cesium.PropertyBag(properties);
    }
    track.entity.point.show = live && !track.entity.billboard;
    if (track.entity.billboard) track.entity.billboard.show = live;
    track.entity.ellipsoid.show = live;
    track.entity.label.show = live;
    track.entity.description = describe(latest);
  }

  function applyTracks(records) {
    const touched = new Map();
    for (const rec of records) {
      touched.set(`${rec.tracker}/${rec.track_id}`, upsertTrack(rec));
    }
    for (const [key, track] of touched) drawTrack(key, track);
    if (records.length) {
      state.lastUpdate = new Date().toISOString();
      if (!state.framed) frameTracks(records);
    }
  }

  // Once per login, turn the globe to face the first tracks seen (from well out in space,
  // so the whole theatre shows); afterwards the camera is the user's.
  function frameTracks(records) {
    const sum = new Cesium.Cartesian3();
    for (const r of records) Cesium.Cartesian3.add(sum, new Cesium.Cartesian3(r.x, r.y, r.z), sum);
    const carto = Cesium.Cartographic.fromCartesian(sum);
    if (!carto) return;
    state.framed = true;
    viewer.camera.setView({
      destination: Cesium.Cartesian3.fromRadians(carto.longitude, carto.latitude, 1.2e7),
    });
  }

  function applyFused(list) {
    const seen = new Set();
    for (const rec of list) {
      seen.add(rec.track_id);
      const ell = ellipsoidOf(rec.cov);
      const color = colorOf("fused");
      const sources = rec.sources.map((s) => `${s.tracker}/${s.track_id}`);
      const position = new Cesium.Cartesian3(rec.x, rec.y, rec.z);
      let entity = state.fused.get(rec.track_id);
      if (!entity) {
        entity = viewer.entities.add({
          id: "fused/" + rec.track_id,
          name: "system track " + rec.track_id,
          position: position,
          orientation: ell.orientation,
          // Its symbol, larger, inside a ring around the national tracks it fuses.
          billboard: window.TracklayerSymbols.billboard(COLORS.fused, 24),
          point: { pixelSize: 34, color: Cesium.Color.TRANSPARENT, outlineColor: color, outlineWidth: 3 },
          ellipsoid: { radii: ell.radii, material: color.withAlpha(0.3) },
        });
        state.fused.set(rec.track_id, entity);
      } else {
        entity.position = position;
        entity.orientation = ell.orientation;
        entity.ellipsoid.radii = ell.radii;
      }
      entity.properties = new Cesium.PropertyBag({ kind: "fused", tracker: "fused", sources: sources });
      entity.description = describe(rec, [["sources", sources.join(", ")]]);
    }
    for (const [id, entity] of state.fused) {
      if (!seen.has(id)) {
        viewer.entities.remove(entity);
        state.fused.delete(id);
      }
    }
  }

  function clearPicture() {
    viewer.entities.removeAll();
    state.framed = false;
    state.tracks.clear();
    state.fused.clear();
    state.messages = 0;
    state.detections = 0;
  }

  function statusLine() {
    const s = summary();
    const n = s.own.length + s.others.length;
    const when = state.lastUpdate ? ` · updated ${state.lastUpdate.slice(11, 19)}Z` : "";
    setStatus(
      `${state.connected ? "live" : "offline"} · ${n} national, ${s.fused.length} system tracks${when}`,
      state.connected ? "ok" : "warn",
    );
  }

  function handleMessage(msg) {
    state.messages += 1;
    if (msg.type === "hello") {
      state.connected = true;
      reconnectDelayMs = 1000;
      return loadHistory();
    }
    if (msg.type === "tracks") {
      applyTracks(msg.tracks);
    } else if (msg.type === "picture") {
      applyTracks(msg.national);
      applyFused(msg.fused);
    } else if (msg.type === "fused") {
      applyFused(msg.fused);
    } else if (msg.type === "detections") {
      state.detections += msg.detections.length;
    }
    updateLegend();
    statusLine();
    render();
    return undefined;
  }

  async function loadHistory() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return;
    try {
      const r = await fetch("api/v1/tracks?limit=100000", { headers: authHeaders(token) });
      if (r.ok) {
        const body = await r.json();
        // The history also holds the stored system tracks (tracker "fused"); the page draws
        // system tracks from the stream's picture and `fused` messages only.
        applyTracks(body.tracks.filter((rec) => rec.tracker !== "fused"));
      }
    } catch (err) {
      console.warn("tracklayer: history not loaded", err);
    }
    state.ready = true;
    updateLegend();
    statusLine();
    render();
  }

  function openStream(token) {
    const url = new URL("api/v1/stream", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url.href);
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ token: token }));
    ws.onmessage = (event) => {
      try {
        handleMessage(JSON.parse(event.data));
      } catch (err) {
        console.warn("tracklayer: bad stream message", err);
      }
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      state.connected = false;
      socket = null;
      if (loggedOut) return;
      if (event.code === 1008) {
        logout("The service refused the token (unknown or revoked).");
        return;
      }
      statusLine();
      setTimeout(() => {
        if (!loggedOut && socket === null) openStream(token);
      }, reconnectDelayMs);
      reconnectDelayMs = Math.min(reconnectDelayMs * 2, 30000);
    };
  }

  async function login(token) {
    el("login-error").textContent = "";
    setStatus("connecting", "warn");
    let r;
    try {
      r = await fetch("api/v1/me", { headers: authHeaders(token) });
    } catch (err) {
      setStatus("service unreachable", "bad");
      el("login-error").textContent = "The picture service does not answer.";
      el("login").hidden = false;
      return;
    }
    if (r.status === 401) {
      logout("Token refused: unknown, revoked or mistyped.");
      return;
    }
    if (!r.ok) {
      setStatus(`service error ${r.status}`, "bad");
      el("login").hidden = false;
      return;
    }
    const me = await r.json();
    sessionStorage.setItem(TOKEN_KEY, token);
    loggedOut = false;
    state.partner = me.code;
    el("who").textContent = `${me.name} (${me.code})`;
    el("login").hidden = true;
    el("logout").hidden = false;
    clearPicture();
    updateLegend();
    openStream(token);
  }

  function logout(message) {
    loggedOut = true;
    sessionStorage.removeItem(TOKEN_KEY);
    if (socket) {
      const ws = socket;
      socket = null;
      ws.close(1000);
    }
    state.connected = false;
    state.ready = false;
    state.partner = null;
    clearPicture();
    updateLegend();
    render();
    el("who").textContent = "";
    el("logout").hidden = true;
    el("login").hidden = false;
    el("login-error").textContent = message || "";
    el("token").value = "";
    setStatus("logged out", "warn");
  }

  function startService() {
    el("login").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = el("token").value.trim();
      if (token) login(token);
    });
    el("logout").addEventListener("click", () => logout(""));
    updateLegend();
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) {
      login(token);
    } else {
      el("login").hidden = false;
      setStatus("not logged in", "warn");
    }
  }

  // ---------------------------------------------------------------- file mode

  function sceneEntities() {
    return state.scene ? state.scene.entities() : [];
  }

  function sceneGroups() {
    return state.scene ? state.scene.groups() : [];
  }

  function startLayers() {
    el("layers").hidden = false;
    for (const box of document.querySelectorAll("#layers input[data-layer]")) {
      box.addEventListener("change", () => state.scene.setLayer(box.dataset.layer, box.checked));
    }
  }

  async function startFile(url) {
    document.body.classList.add("file-mode");
    el("who").textContent = "run output";
    setStatus("loading scene", "warn");
    state.scene = window.TracklayerScene.create(viewer, { escapeHtml: escapeHtml, render: render });
    try {
      const source = await state.scene.start(url);
      startLayers();
      state.ready = true;
      setStatus(`${source.name || "scene"} · ${sceneEntities().length} objects`, "ok");
    } catch (err) {
      state.error = String(err && err.message ? err.message : err);
      setStatus("cannot read the scene: " + state.error, "bad");
    }
    updateLegend();
    render();
  }

  // ---------------------------------------------------------------- test hooks

  function summary() {
    const own = [];
    const others = [];
    for (const [key, track] of state.tracks) {
      (classOf(track.tracker) === "own" ? own : others).push(key);
    }
    const file = state.scene && state.ready ? state.scene.summary() : {};
    return {
      mode: state.mode,
      partner: state.partner,
      connected: state.connected,
      ready: state.ready,
      error: state.error,
      messages: state.messages,
      detections: state.detections,
      own: own.sort(),
      others: others.sort(),
      fused: Array.from(state.fused.keys()).sort(),
      entityIds: viewer ? viewer.entities.values.map((e) => e.id).concat(sceneEntities().map((e) => e.id)).sort() : [],
      sceneKinds: file.sceneKinds || {},
      tilesLoaded: viewer ? viewer.scene.globe.tilesLoaded : false,
      software: state.software,
      basemapLines: state.basemapLines,
      legend: Array.from(document.querySelectorAll("#legend-items li .label")).map((n) => n.textContent),
      camera: file.camera,
      clock: file.clock,
      region: file.region,
      visibleThreats: file.visibleThreats || [],
      layers: file.layers,
      hidden: file.hidden || [],
    };
  }

  // The text of the info box (the selected object's description), for tests.
  function infoText() {
    const frame = document.querySelector(".cesium-infoBox-iframe");
    const doc = frame && frame.contentDocument;
    return doc && doc.body ? doc.body.innerText : "";
  }

  window.tracklayer = {
    state: state,
    summary: summary,
    viewer: viewer,
    render: render,
    infoText: infoText,
    select: (id) => (state.scene ? state.scene.select(id) : false),
    setLayer: (name, on) => (state.scene ? state.scene.setLayer(name, on) : undefined),
  };

  window.TracklayerBasemap.add(viewer).then((n) => {
    state.basemapLines = n;
  });

  if (mode === "file") startFile(sceneUrl);
  else startService();
})();
