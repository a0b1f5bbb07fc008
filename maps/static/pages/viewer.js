// Field viewer: wiring. The map (viewer-map.js), the bottom sheet with its panels (segment
// details and nearest segments here; my campaign, the visit form and the sync queue in their
// own scripts), the language switch and the service worker. Test hook: window.telecomViewer.
(function (TGV) {
  "use strict";
  var h = TGV.dom.h;
  var t = TGV.i18n.t;
  var panels = TGV.dom.panels;
  var data = JSON.parse(document.getElementById("viewer-data").textContent);
  // Who is signed in: the token's user as the device knows it (the login page keeps it with the
  // token) rather than the page's, which the service worker may have kept from another user.
  var me = TGV.api.identity() || data.user;
  var canRecord = me.role === "inspector" || me.role === "admin";
  //: The user whose segments the device keeps (IndexedDB), to drop them when another signs in.
  var DEVICE_USER_KEY = "telecom-gis-viewer-user";

  var hook = window.telecomViewer = window.telecomViewer || {};
  hook.ready = false;
  hook.drawn = 0;

  if (!TGV.api.token()) { TGV.api.login(); return; }
  TGV.i18n.setVocabulary(data.vocabulary);
  TGV.forms.setPhotoLimit(data.photo_max_bytes);

  // ------------------------------------------------------------------ segment details
  var details = { id: null, feature: null, detail: null, loading: false, offline: false };

  function selectSegment(id, options) {
    var feature = TGV.map.feature(id) || (options && options.feature) || null;
    if (feature) { TGV.map.ensure(feature); }
    details = { id: id, feature: feature, detail: null, loading: true, offline: false };
    TGV.map.select(id, feature && feature.geometry, options && options.fit);
    panels.show("details");
    return TGV.api.getJSON("/segments/" + id).then(function (detail) {
      if (details.id !== id) { return; }
      details.detail = detail;
      details.loading = false;
      if (!details.feature) {
        details.feature = detail;
        TGV.map.select(id, detail.geometry, options && options.fit);
      }
      panels.render();
    }, function () {
      if (details.id !== id) { return; }
      details.loading = false;
      details.offline = true;
      panels.render();
    });
  }

  function dl(rows) {
    return h("dl", { class: "props" }, rows.filter(function (r) { return r[1] !== null && r[1] !== undefined && r[1] !== ""; })
      .map(function (r) { return [h("dt", {}, t(r[0])), h("dd", {}, r[1])]; }));
  }

  function badge(kind, value) {
    return h("span", { class: "badge", style: { "--c": TGV.i18n.colour(kind, value) } },
      TGV.i18n.label(kind, value));
  }

  function renderDetails() {
    var panel = document.getElementById("panel-details");
    var p = details.detail ? details.detail.properties : details.feature ? details.feature.properties : null;
    var title = document.getElementById("sheet-title");
    title.textContent = t("details.title", { id: details.id });
    if (!p) {
      TGV.dom.fill(panel, h("p", { class: "muted" }, details.loading ? t("details.loading") : t("details.offline")));
      return;
    }
    var parts = [
      dl([
        ["details.route", p.route],
        ["details.operator", p.operator],
        ["details.commune", p.commune_name ? p.commune_name + " (" + p.commune_code + ")" : null],
        ["details.placement", TGV.i18n.label("placement", p.placement)],
        ["details.kind", p.placement_kind ? TGV.i18n.label("placement_kind", p.placement_kind) : null],
        ["details.tidied", p.tidied === undefined ? null : t(p.tidied ? "yes" : "no")],
        ["details.lifecycle", p.lifecycle ? TGV.i18n.label("lifecycle", p.lifecycle) : null],
        ["details.since", p.state_since ? TGV.i18n.date(p.state_since) : null],
        ["details.length", TGV.i18n.number(p.length_m, 1) + " m"],
        ["details.compliance", p.compliance ? badge("compliance", p.compliance) : null]
      ])
    ];
    if (canRecord) {
      parts.push(h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "record-visit",
        onclick: function () { openForm(details.id, p); } }, t("details.record"))));
    }
    if (details.loading) { parts.push(h("p", { class: "muted" }, t("details.loading"))); }
    if (details.offline) { parts.push(h("p", { class: "muted" }, t("details.offline"))); }
    if (details.detail) {
      var d = details.detail.properties;
      parts.push(h("h3", {}, t("details.violations")), list(d.open_violations, function (v) {
        var text = TGV.i18n.lang === "vi" ? v.text_vi : v.text_en;
        return h("li", { class: v.overdue ? "overdue" : "" }, h("b", {}, v.item), " ", text, " ",
          badge("severity", v.severity), " ", badge("violation_state", v.state), " ",
          t("details.due", { date: TGV.i18n.date(v.due_on) }),
          v.overdue ? h("span", { class: "badge bad" }, t("details.overdue")) : null);
      }));
      parts.push(h("h3", {}, t("details.visits")), list(d.visits.slice().reverse(), function (v) {
        return h("li", {}, h("b", {}, TGV.i18n.dateTime(v.visited_at)), " · ",
          [v.inspector, v.campaign].filter(Boolean).join(" · "), " · ",
          t("details.results", { pass: v.results.pass, fail: v.results.fail, nc: v.results.not_checked }),
          v.photos_expected ? " · " + t("details.photos", { got: v.photos_received, want: v.photos_expected }) : "");
      }));
      parts.push(h("h3", {}, t("details.history")), list(d.history.slice().reverse(), function (s) {
        return h("li", {}, h("b", {}, TGV.i18n.date(s.effective_date)), " · ",
          TGV.i18n.label("placement_kind", s.placement_kind), " · ",
          s.placement === "overhead" ? t("details.tidied") + ": " + t(s.tidied ? "yes" : "no") + " · " : "",
          TGV.i18n.label("lifecycle", s.lifecycle), s.note ? " · " + s.note : "");
      }));
    }
    TGV.dom.fill(panel, parts);
  }

  function list(items, fn) {
    if (!items || !items.length) { return h("p", { class: "muted" }, t("details.none")); }
    return h("ul", { class: "items" }, items.map(fn));
  }

  // ------------------------------------------------------------------ the visit form
  function openForm(id, props) {
    var segment = { id: id, route: props.route, operator: props.operator, placement: props.placement };
    TGV.forms.open(segment, TGV.campaigns.of(id));
    panels.show("form");
  }

  TGV.forms.onClose = function (id) {
    if (panels.current === "form") { selectSegment(id); }
  };
  TGV.forms.onSaved = function (key) {
    TGV.queue.list().then(function (l) {
      var visit = l.visits.filter(function (v) { return v.key === key; })[0];
      if (visit && visit.body.campaign_id) { TGV.campaigns.markVisited(visit.body.campaign_id, visit.body.segment_id); }
    });
    panels.show("sync");
  };

  // ------------------------------------------------------------------ nearest segments
  var near = { state: "idle" };

  function nearestOffline(lat, lon, radius) {
    return TGV.map.features().map(function (f) {
      var p = f.properties;
      return { id: f.id, route: p.route, operator: p.operator, placement: p.placement,
               length_m: p.length_m, geometry: f.geometry,
               distance_m: TGV.map.distanceToLine(lat, lon, f.geometry.coordinates) };
    }).filter(function (s) { return s.distance_m <= radius; })
      .sort(function (a, b) { return a.distance_m - b.distance_m; }).slice(0, 5);
  }

  function locate() {
    near = { state: "waiting" };
    panels.show("nearest");
    if (!navigator.geolocation) { near = { state: "error", error: "no geolocation" }; panels.render(); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      var c = pos.coords;
      var radius = Math.round(Math.min(1000, Math.max(50, 2 * c.accuracy + 30)));
      near = { state: "fix", lat: c.latitude, lon: c.longitude, accuracy: c.accuracy, radius: radius, items: null };
      TGV.map.showPosition(c.latitude, c.longitude, c.accuracy);
      panels.render();
      var url = "/segments/nearest?lon=" + c.longitude + "&lat=" + c.latitude + "&radius_m=" + radius + "&limit=5";
      TGV.api.getJSON(url).then(function (answer) {
        near.items = answer.items;
        near.offline = false;
      }, function () {
        near.items = nearestOffline(c.latitude, c.longitude, radius);
        near.offline = true;
      }).then(function () {
        TGV.map.showNear(near.items);
        panels.render();
      });
    }, function (error) {
      near = { state: "error", error: error.message || String(error.code) };
      panels.render();
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 });
  }

  function renderNearest() {
    document.getElementById("sheet-title").textContent = t("nearest.title");
    var panel = document.getElementById("panel-nearest");
    if (near.state === "waiting") { TGV.dom.fill(panel, h("p", { class: "muted" }, t("nearest.waiting"))); return; }
    if (near.state === "error") { TGV.dom.fill(panel, h("p", { class: "bad" }, t("nearest.unavailable", { e: near.error }))); return; }
    if (near.state !== "fix") { TGV.dom.clear(panel); return; }
    TGV.dom.fill(panel,
      h("p", {}, t("nearest.accuracy", { a: TGV.i18n.number(near.accuracy, 0) })),
      near.offline ? h("p", { class: "muted" }, t("nearest.offline")) : null,
      near.items === null ? h("p", { class: "muted" }, "…") :
        near.items.length === 0 ? h("p", {}, t("nearest.none", { r: near.radius })) :
          h("ul", { class: "items tappable", id: "nearest-list" }, near.items.map(function (s) {
            return h("li", {}, h("button", { type: "button", class: "row-button", dataset: { segment: s.id },
              onclick: function () {
                selectSegment(s.id, { fit: true, feature: { type: "Feature", id: s.id, geometry: s.geometry,
                  properties: { route: s.route, operator: s.operator, placement: s.placement, length_m: s.length_m } } });
              } },
              h("b", {}, TGV.i18n.number(s.distance_m, 0) + " m"), " · #" + s.id + " · ",
              [s.route, s.operator].filter(Boolean).join(" · "), " · ", TGV.i18n.label("placement", s.placement)));
          })));
  }

  TGV.campaigns.onPick = function (id, feature) { selectSegment(id, { fit: true, feature: feature }); };
  TGV.syncPanel.onSent = function () {
    // A visit was accepted: its segment's details and my campaign have changed.
    if (details.id !== null && panels.current === "details") { selectSegment(details.id); }
    clearTimeout(TGV.syncPanel.timer);
    TGV.syncPanel.timer = setTimeout(TGV.campaigns.load, 1500);
  };

  // ------------------------------------------------------------------ menu
  function renderMenu() {
    document.getElementById("sheet-title").textContent = t("menu.title");
    TGV.dom.fill(document.getElementById("panel-menu"),
      h("p", {}, t("menu.user", { user: me.username })),
      h("div", { class: "actions" },
        h("button", { type: "button", id: "sign-out", onclick: function () {
          if (navigator.serviceWorker && navigator.serviceWorker.controller) {
            navigator.serviceWorker.controller.postMessage("forget-data");
          }
          TGV.api.signOut();
        } }, t("menu.signOut"))));
  }

  // ------------------------------------------------------------------ legend and status
  function legendControl() {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "legend");
      L.DomEvent.disableClickPropagation(box);
      control.box = box;
      return box;
    };
    control.render = function () {
      var mode = TGV.map.colourMode;
      var kind = TGV.map.colourKind;
      TGV.dom.fill(control.box,
        h("div", { class: "legend-modes", role: "group", "aria-label": t("legend.title") },
          ["compliance", "placement"].map(function (m) {
            return h("button", { type: "button", class: m === mode ? "on" : "", "aria-pressed": String(m === mode),
              id: "colour-" + m, onclick: function () { TGV.map.setColourMode(m); control.render(); } }, t("legend." + m));
          })),
        h("ul", {}, TGV.i18n.values(kind).map(function (v) {
          return h("li", {}, h("i", { style: { "--c": TGV.i18n.colour(kind, v) },
            class: v === "underground" ? "dashed" : "" }), TGV.i18n.label(kind, v));
        })));
    };
    return control;
  }

  function renderStatus() {
    var el = document.getElementById("status");
    var s = TGV.map.status;
    var text = {
      loading: t("status.loading"), loaded: t("status.loaded", { n: s.count }),
      capped: t("status.capped", { n: s.count }), zoom: t("status.zoomIn"),
      tiles: t("status.tiles"),
      cached: t("status.cached", { n: s.count }), error: t("status.error", { e: s.error })
    }[s.state] || "";
    el.textContent = text;
    el.dataset.state = s.state;
    var offline = document.getElementById("offline");
    offline.hidden = navigator.onLine !== false;
  }

  // ------------------------------------------------------------------ start
  /** The segments kept on the device for offline use are what the last user may see (an
   *  operator's user sees only its own network): another user starts without them. The
   *  clearing transaction is created before any other on the store, so IndexedDB runs it
   *  before the map's reads and writes. */
  function forgetOtherUsersSegments() {
    if (localStorage.getItem(DEVICE_USER_KEY) === me.username) { return; }
    localStorage.setItem(DEVICE_USER_KEY, me.username);
    TGV.store.clear("segments").catch(function (e) { console.warn("segments", e); });
  }

  function start() {
    TGV.i18n.apply(document);
    panels.register("details", renderDetails);
    panels.register("form", function () {
      document.getElementById("sheet-title").textContent = t("form.title");
      TGV.forms.render();
    });
    panels.register("nearest", renderNearest);
    panels.register("campaign", TGV.campaigns.render);
    panels.register("sync", TGV.syncPanel.render);
    panels.register("menu", renderMenu);
    panels.onClose(function (was) {
      if (was === "details") { TGV.map.select(null); }
      if (was === "nearest") { TGV.map.showNear([]); }
    });

    document.getElementById("sheet-close").addEventListener("click", panels.close);
    document.getElementById("btn-locate").addEventListener("click", locate);
    document.getElementById("btn-campaign").addEventListener("click", function () { panels.show("campaign"); });
    document.getElementById("btn-sync").addEventListener("click", function () { panels.show("sync"); });
    document.getElementById("btn-menu").addEventListener("click", function () { panels.show("menu"); });
    document.getElementById("lang-toggle").addEventListener("click", function () {
      TGV.i18n.setLang(TGV.i18n.lang === "vi" ? "en" : "vi");
    });

    var legend = legendControl();
    TGV.i18n.onChange(function () {
      panels.render();
      legend.render();
      renderStatus();
    });
    window.addEventListener("online", renderStatus);
    window.addEventListener("offline", renderStatus);
    TGV.map.onStatus(renderStatus);
    TGV.map.onSelect(function (id) { selectSegment(id); });
    TGV.queue.onChange(TGV.syncPanel.refresh);

    forgetOtherUsersSegments();  // before the map reads or writes any (IndexedDB keeps order)
    TGV.map.init(document.getElementById("map"), data).then(function () {
      legend.addTo(TGV.map.leaflet);
      legend.render();
    });
    TGV.forms.prefetch();
    TGV.campaigns.load();
    TGV.queue.start(data.user.username);
    renderStatus();

    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(data.service_worker, { scope: data.scope })
        .then(function () { return navigator.serviceWorker.ready; })
        .then(function () { hook.offlineReady = true; })
        .catch(function (e) { console.warn("service worker", e); });
    }
  }

  hook.select = function (id) { return selectSegment(id); };
  hook.pointOf = function (id) { return TGV.map.pointOf(id); };
  hook.queue = TGV.queue;
  hook.map = TGV.map;
  start();
})(window.TGV = window.TGV || {});
