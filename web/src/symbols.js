// Military symbols for tracks, shared by the run globe (scene.js) and the live page (app.js).
//
// Every track is drawn as a MIL-STD-2525C hostile (H) air (A) present (P) missile (M)
// symbol (milsymbol's letter SIDC), filled in its tracker's colour; one canvas per colour,
// made once. Without milsymbol (a page built without it) `forColor` gives undefined and the
// callers keep their plain points.
"use strict";

window.TracklayerSymbols = (function () {
  const TRACK_SIDC = "SHAPM-----";
  const canvases = new Map();

  function forColor(color, size) {
    if (!window.ms) return undefined;
    const key = `${color}/${size || 18}`;
    let canvas = canvases.get(key);
    if (!canvas) {
      canvas = new window.ms.Symbol(TRACK_SIDC, {
        size: size || 18, fillColor: color, frameColor: "#0f172a", iconColor: "#0f172a",
        outlineColor: "#f8fafc", outlineWidth: 1,
      }).asCanvas();
      canvas.dataset.sidc = TRACK_SIDC;
      canvases.set(key, canvas);
    }
    return canvas;
  }

  // A billboard of the symbol, centred on the track's position (`options`: further
  // BillboardGraphics options, such as an eye offset).
  function billboard(color, size, options) {
    const image = forColor(color, size);
    if (!image) return undefined;
    return new Cesium.BillboardGraphics(Object.assign(
      { image: image, verticalOrigin: Cesium.VerticalOrigin.CENTER }, options || {},
    ));
  }

  return { TRACK_SIDC: TRACK_SIDC, forColor: forColor, billboard: billboard };
})();
