// Field viewer: the Leaflet map (canvas renderer). From GEOJSON_ZOOM the segments of the current
// view come from GET /segments?bbox= (pages of PAGE_SIZE until done or MAX_FEATURES), are kept
// on the device (IndexedDB) and drawn from there when the network is missing; they can be
// tapped. Zoomed out (from TILES_MIN_ZOOM to GEOJSON_ZOOM), where a view holds more segments
// than is sensible as GeoJSON, the network is drawn from the vector tiles GET /tiles/{z}/{x}/{y}
// .pbf (segment-tiles.js), by placement class, and when they cannot be fetched (offline) the
// saved segments are drawn instead. Colours come from the vocabulary the page was given
// (gis/choices.py), by compliance state or by placement.
(function (TGV) {
  "use strict";
  window.telecomViewer = window.telecomViewer || {};
  var PAGE_SIZE = 1000;
  var MAX_FEATURES = 5000;      // per view: beyond it, the inspector is asked to zoom in
  var GEOJSON_ZOOM = 15;        // from here segments come as GeoJSON (a dense view: ~4,000)
  var TILES_MIN_ZOOM = 8;       // below it nothing is drawn (a whole province is too much)
  var KEEP = 20000;             // segments kept drawn; beyond it, those out of view are dropped
  var COLOUR_KEY = "telecom-gis-viewer-colour";
  var VIEW_KEY = "telecom-gis-viewer-view";
  var DEFAULT_VIEW = { lat: 20.4487, lon: 106.3403, zoom: 14 };  // Thái Bình city centre

  var map, renderer, segmentsLayer, selectionLayer, nearLayer, campaignLayer, positionLayer;
  var tiles = null;             // the vector-tile layer, while the map is zoomed out
  var drawn = new Map();        // id -> {feature, layer}
  var selected = null;
  var loading = null;           // AbortController of the load under way
  var status = { state: "idle", count: 0 };
  var listeners = { select: [], status: [] };
  var colourMode = localStorage.getItem(COLOUR_KEY) === "placement" ? "placement" : "compliance";

  function emit(kind, value) { listeners[kind].forEach(function (fn) { fn(value); }); }

  function setStatus(state, extra) {
    status = Object.assign({ state: state }, extra || {});
    emit("status", status);
  }

  /** The placement map class (gis.choices.placement_class): underground, or overhead
   *  tidied / not tidied. */
  function placementClass(props) {
    if (props.placement === "underground") { return "underground"; }
    return props.tidied ? "overhead_tidied" : "overhead_untidied";
  }

  function colourOf(props) {
    if (colourMode === "placement") { return TGV.i18n.colour("placement_class", placementClass(props)); }
    return TGV.i18n.colour("compliance", props.compliance);
  }

  function styleOf(props) {
    var underground = props.placement === "underground";
    return {
      renderer: renderer, color: colourOf(props), weight: 4, opacity: 0.9,
      dashArray: underground ? "8 6" : null, lineCap: "round"
    };
  }

  function latLngs(geometry) {
    return geometry.coordinates.map(function (c) { return [c[1], c[0]]; });
  }

  function bboxOf(geometry) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    geometry.coordinates.forEach(function (c) {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    });
    return b;
  }

  function draw(feature) {
    var known = drawn.get(feature.id);
    if (known) {
      known.feature = feature;
      known.layer.setStyle(styleOf(feature.properties));
      return;
    }
    var layer = L.polyline(latLngs(feature.geometry), styleOf(feature.properties));
    layer.on("click", function (ev) {
      L.DomEvent.stopPropagation(ev);
      emit("select", feature.id);
    });
    layer.addTo(segmentsLayer);
    drawn.set(feature.id, { feature: feature, layer: layer });
  }

  function prune() {
    if (drawn.size <= KEEP) { return; }
    var view = map.getBounds();
    drawn.forEach(function (entry, id) {
      if (id !== selected && !view.intersects(entry.layer.getBounds())) {
        segmentsLayer.removeLayer(entry.layer);
        drawn.delete(id);
      }
    });
  }

  function bboxParam(bounds) {
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (v) { return v.toFixed(6); }).join(",");
  }

  function remember(features) {
    return TGV.store.putAll("segments", features.map(function (f) {
      return { id: f.id, feature: f, bbox: bboxOf(f.geometry) };
    })).catch(function () { /* storage full: the map still works online */ });
  }

  /** Draw the saved segments that cross the view (offline). */
  function drawSaved(bounds) {
    return TGV.store.getAll("segments").then(function (rows) {
      var w = bounds.getWest(), s = bounds.getSouth(), e = bounds.getEast(), n = bounds.getNorth();
      var inside = rows.filter(function (r) {
        return r.bbox[0] <= e && r.bbox[2] >= w && r.bbox[1] <= n && r.bbox[3] >= s;
      });
      inside.forEach(function (r) { draw(r.feature); });
      setStatus("cached", { count: inside.length });
    });
  }

  /** Tell tests and benches that the view's segments are drawn (readyAt: first time, in ms
   *  since navigation). */
  function markReady() {
    var hook = window.telecomViewer;
    hook.drawn = drawn.size;
    hook.ready = true;
    if (hook.readyAt === undefined) { hook.readyAt = performance.now(); }
  }

  /** Path options of a tile feature: its placement class's colour (tiles carry no
   *  compliance); an aggregate of many segments thinner. */
  function tileStyle(props) {
    return { color: TGV.i18n.colour("placement_class", props["class"]),
             weight: props.segments === undefined ? 3 : 2, opacity: 0.85 };
  }

  /** Offline, zoomed out: the segments saved on the device instead of the tiles. */
  function tilesFailed() {
    if (!tiles || status.state === "cached") { return; }
    if (!map.hasLayer(segmentsLayer)) { segmentsLayer.addTo(map); }
    drawSaved(map.getBounds()).then(markReady);
  }

  /** Draw the vector tiles (true) instead of the GeoJSON segments, or the other way. */
  function showTiles(on) {
    var hook = window.telecomViewer;
    if (on && !tiles) {
      var token = TGV.api.token();
      tiles = L.segmentTiles("/tiles/{z}/{x}/{y}.pbf", {
        style: tileStyle, credentials: "omit",
        headers: token ? { Authorization: "Bearer " + token } : {}
      });
      tiles.on("load", function () {
        hook.tilesLoaded = (hook.tilesLoaded || 0) + 1;
        markReady();
      });
      tiles.on("tilefetcherror", tilesFailed);
      tiles.addTo(map);
    } else if (!on && tiles) {
      map.removeLayer(tiles);
      tiles = null;
    }
    hook.tiles = !!tiles;
  }

  function load() {
    if (loading) { loading.abort(); }
    var zoom = map.getZoom();
    if (zoom < GEOJSON_ZOOM) {
      showTiles(zoom >= TILES_MIN_ZOOM);
      map.removeLayer(segmentsLayer);
      setStatus(tiles ? "tiles" : "zoom");
      // The tiles' own moveend runs after this one: when it asks for no new tile, the view
      // is drawn already.
      L.Util.requestAnimFrame(function () { if (!tiles || !tiles.isLoading()) { markReady(); } });
      return Promise.resolve();
    }
    showTiles(false);
    if (!map.hasLayer(segmentsLayer)) { segmentsLayer.addTo(map); }
    var controller = new AbortController();
    loading = controller;
    var bounds = map.getBounds();
    var url = "/segments?limit=" + PAGE_SIZE + "&bbox=" + bboxParam(bounds);
    var count = 0;
    setStatus("loading");
    function next(href) {
      return TGV.api.getJSON(href, { signal: controller.signal }).then(function (page) {
        page.features.forEach(draw);
        count += page.features.length;
        remember(page.features);
        var more = TGV.api.nextOf(page);
        if (more && count < MAX_FEATURES) { return next(more); }
        return more !== null;
      });
    }
    return next(url).then(function (capped) {
      if (loading !== controller) { return; }
      loading = null;
      prune();
      setStatus(capped ? "capped" : "loaded", { count: count });
      markReady();
    }, function (error) {
      if (loading !== controller) { return; }  // aborted by a newer load
      loading = null;
      if (error instanceof TGV.api.ApiError) { setStatus("error", { error: error.message }); return; }
      return drawSaved(bounds).then(markReady);
    });
  }

  function saveView() {
    var c = map.getCenter();
    localStorage.setItem(VIEW_KEY, JSON.stringify({ lat: c.lat, lon: c.lng, zoom: map.getZoom() }));
  }

  function savedView() {
    try {
      var v = JSON.parse(localStorage.getItem(VIEW_KEY));
      if (v && isFinite(v.lat) && isFinite(v.lon) && isFinite(v.zoom)) { return v; }
    } catch (e) { /* ignore */ }
    return null;
  }

  /** The start view: the last one, else the first segment the API gives, else the city. */
  function startView() {
    var v = savedView();
    if (v) { return Promise.resolve(v); }
    return TGV.api.getJSON("/segments?limit=1").then(function (page) {
      var f = page.features[0];
      if (!f) { return DEFAULT_VIEW; }
      var c = f.geometry.coordinates[0];
      return { lat: c[1], lon: c[0], zoom: 16 };
    }).catch(function () { return DEFAULT_VIEW; });
  }

  function highlightStyle(colour, weight, opacity) {
    return { renderer: renderer, color: colour, weight: weight, opacity: opacity || 0.85,
             interactive: false };
  }

  /** Distance in metres between two points (equirectangular, fine at a few kilometres). */
  function distanceM(lat1, lon1, lat2, lon2) {
    var k = Math.PI / 180, x = (lon2 - lon1) * k * Math.cos((lat1 + lat2) / 2 * k), y = (lat2 - lat1) * k;
    return Math.sqrt(x * x + y * y) * 6371008.8;
  }

  /** Distance in metres (equirectangular, fine at a few hundred metres) from a point to a line. */
  function distanceToLine(lat, lon, coords) {
    var best = Infinity, k = Math.PI / 180, cos = Math.cos(lat * k), R = 6371008.8;
    for (var i = 0; i + 1 < coords.length; i++) {
      var ax = (coords[i][0] - lon) * k * cos * R, ay = (coords[i][1] - lat) * k * R;
      var bx = (coords[i + 1][0] - lon) * k * cos * R, by = (coords[i + 1][1] - lat) * k * R;
      var dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
      var s = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
      var px = ax + s * dx, py = ay + s * dy;
      best = Math.min(best, Math.sqrt(px * px + py * py));
    }
    return best;
  }

  TGV.map = {
    distanceM: distanceM,
    distanceToLine: distanceToLine,
    init: function (element, data) {
      renderer = L.canvas({ tolerance: 10, padding: 0.3 });
      map = L.map(element, { preferCanvas: true, renderer: renderer, zoomControl: true,
                             attributionControl: true });
      if (data.tile_url) {
        L.tileLayer(data.tile_url, { attribution: data.tile_attribution, maxZoom: 20,
                                     maxNativeZoom: 19, crossOrigin: true }).addTo(map);
      }
      campaignLayer = L.layerGroup().addTo(map);
      segmentsLayer = L.featureGroup().addTo(map);
      nearLayer = L.layerGroup().addTo(map);
      selectionLayer = L.layerGroup().addTo(map);
      positionLayer = L.layerGroup().addTo(map);
      map.on("moveend", function () { saveView(); load(); });
      return startView().then(function (v) { map.setView([v.lat, v.lon], v.zoom); });
    },
    get leaflet() { return map; },
    get colourMode() { return colourMode; },
    /** The vocabulary the colours of the current mode come from. */
    get colourKind() { return colourMode === "placement" ? "placement_class" : "compliance"; },
    setColourMode: function (mode) {
      colourMode = mode === "placement" ? "placement" : "compliance";
      localStorage.setItem(COLOUR_KEY, colourMode);
      drawn.forEach(function (entry) { entry.layer.setStyle(styleOf(entry.feature.properties)); });
    },
    get status() { return status; },
    reload: load,
    onSelect: function (fn) { listeners.select.push(fn); },
    onStatus: function (fn) { listeners.status.push(fn); },
    /** The feature drawn for segment `id`, or null. */
    feature: function (id) { var e = drawn.get(id); return e ? e.feature : null; },
    features: function () {
      return Array.from(drawn.values()).map(function (e) { return e.feature; });
    },
    /** Draw `feature` (e.g. from a list) if not drawn yet. */
    ensure: function (feature) { if (!drawn.has(feature.id)) { draw(feature); } },
    /** Outline segment `id` (geometry from `geometry` or the drawn feature); null clears. */
    select: function (id, geometry, fit) {
      selected = id;
      selectionLayer.clearLayers();
      if (id === null) { return; }
      var g = geometry || (drawn.get(id) && drawn.get(id).feature.geometry);
      if (!g) { return; }
      var line = L.polyline(latLngs(g), highlightStyle("#ffd400", 12)).addTo(selectionLayer);
      L.polyline(latLngs(g), highlightStyle("#1d2733", 3)).addTo(selectionLayer);
      if (fit) { map.fitBounds(line.getBounds(), { maxZoom: 18, paddingBottomRight: [0, 250] }); }
    },
    /** Outline the nearest segments (features with geometry); [] clears. */
    showNear: function (items) {
      nearLayer.clearLayers();
      items.forEach(function (item) {
        L.polyline(latLngs(item.geometry), highlightStyle("#00b3ff", 9)).addTo(nearLayer);
      });
    },
    /** Show the device's position with its accuracy circle (metres). */
    showPosition: function (lat, lon, accuracy) {
      positionLayer.clearLayers();
      L.circle([lat, lon], { radius: accuracy || 0, renderer: renderer, color: "#1a73e8",
                             weight: 1, fillOpacity: 0.12, interactive: false }).addTo(positionLayer);
      L.circleMarker([lat, lon], { radius: 7, renderer: renderer, color: "#fff", weight: 2,
                                   fillColor: "#1a73e8", fillOpacity: 1, interactive: false })
        .addTo(positionLayer);
      map.setView([lat, lon], Math.max(map.getZoom(), 17));
    },
    /** Campaign segments: not visited by me drawn wide in magenta, the others thin in green. */
    showCampaign: function (features) {
      campaignLayer.clearLayers();
      features.forEach(function (f) {
        var todo = !f.properties.visited_by_me;
        L.polyline(latLngs(f.geometry),
                   highlightStyle(todo ? "#d000c8" : "#2ca25f", todo ? 11 : 8, 0.45))
          .addTo(campaignLayer);
      });
    },
    /** Container pixel [x, y] of the middle of segment `id` (for tests and tours). */
    pointOf: function (id) {
      var entry = drawn.get(id);
      if (!entry) { return null; }
      var coords = entry.feature.geometry.coordinates;
      var a = coords[Math.floor((coords.length - 1) / 2)];
      var b = coords[Math.floor((coords.length - 1) / 2) + 1] || a;
      var p = map.latLngToContainerPoint([(a[1] + b[1]) / 2, (a[0] + b[0]) / 2]);
      var box = map.getContainer().getBoundingClientRect();
      return [p.x + box.left, p.y + box.top];
    },
    panTo: function (geometry) {
      map.fitBounds(L.polyline(latLngs(geometry)).getBounds(), { maxZoom: 18 });
    }
  };
})(window.TGV = window.TGV || {});
