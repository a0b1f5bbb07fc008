// The segments' vector tiles (GET /tiles/{z}/{x}/{y}.pbf, one layer "segments", see gis/tiles)
// drawn by Leaflet.VectorGrid (maps/static/vendor/leaflet.vectorgrid) on canvas tiles. Used by
// the progress map above its tile threshold and by the field viewer zoomed out.
//
// L.segmentTiles(url, {style, headers, credentials}): `style(properties, zoom)` gives the path
// options of a feature (a segment from zoom 14, an operator x class aggregate below); `headers`
// go with each tile request (the viewer's bearer token), and the page's cookie unless
// `credentials` is "omit". The tiles are drawn in their
// own pane above the overlay pane that lets the pointer through (the map's other vector layers
// keep their tooltips); `layer.featureAt(latlng)` tells the properties of the feature drawn
// there (with `id`, the segment's, from zoom 14), or null. A tile that cannot be fetched (no
// network) is drawn empty and fires "tilefetcherror" instead of throwing.
(function () {
  "use strict";
  // Leaflet.VectorGrid 1.3 calls L.DomEvent.fakeStop on a click, which Leaflet 1.8 removed.
  if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = L.DomEvent.stopPropagation; }

  var PANE = "tgSegmentTiles";

  var SegmentTiles = L.VectorGrid.Protobuf.extend({
    onAdd: function (map) {
      if (!map.getPane(PANE)) {
        var pane = map.createPane(PANE);
        pane.style.zIndex = 410;           // above the overlay pane (400), under markers
        pane.style.pointerEvents = "none";
        L.DomUtil.addClass(pane, "tg-segment-tiles");
        var css = document.createElement("style");
        css.textContent = ".tg-segment-tiles canvas { pointer-events: none !important; }";
        document.head.appendChild(css);
      }
      L.VectorGrid.Protobuf.prototype.onAdd.call(this, map);
    },

    featureAt: function (latlng) {
      var map = this._map, zoom = this._tileZoom;
      if (!map || zoom === undefined) { return null; }
      var size = this.getTileSize(), p = map.project(latlng, zoom);
      var coords = p.unscaleBy(size).floor();
      coords.z = zoom;
      var renderer = this._vectorTiles[this._tileCoordsToKey(coords)];
      if (!renderer) { return null; }
      var local = p.subtract(coords.scaleBy(size)), found = null;
      Object.keys(renderer._layers).forEach(function (key) {
        var path = renderer._layers[key];
        if (path._pxBounds && path._containsPoint(local)) { found = path; }
      });
      return found ? found.properties : null;
    },

    _getVectorTilePromise: function (coords) {
      var layer = this;
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords)
        .catch(function (error) {
          layer.fire("tilefetcherror", { coords: coords, error: error });
          return { layers: [] };
        });
    }
  });

  L.segmentTiles = function (url, options) {
    return new SegmentTiles(url, {
      rendererFactory: L.canvas.tile,
      interactive: true,                     // keeps the paths' pixel bounds for featureAt
      tolerance: L.Browser.touch ? 10 : 3,   // pixels around a line that still hit it
      maxZoom: 22,
      pane: PANE,
      fetchOptions: { credentials: options.credentials || "same-origin",
                      headers: options.headers || {} },
      // Segment ids (zoom 14 and above) reach the event handlers with the properties.
      getFeatureId: function (feature) {
        if (feature.id) { feature.properties.id = feature.id; }
        return feature.id;
      },
      vectorTileLayerStyles: { segments: options.style }
    });
  };
})();
