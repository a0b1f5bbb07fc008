// Field viewer: "my campaign" (Chiến dịch của tôi). The running campaigns that name me (or
// nobody) from GET /campaigns/mine, with their progress as the server counts it, each with its
// segments from GET /campaigns/{id}/segments (pages until done or CAP, once per page load:
// a province-wide campaign is many megabytes for a phone), the ones I have not visited listed
// nearest the map's centre first and highlighted on the map; the visit form offers the
// campaigns whose scope holds a segment. A visit recorded here marks its segment at once; the
// progress is read again when the visit is sent.
(function (TGV) {
  "use strict";
  var h = TGV.dom.h;
  var t = TGV.i18n.t;
  var panels = TGV.dom.panels;
  var SELECTED_KEY = "telecom-gis-viewer-campaign";
  var CAP = 20000;              // segments loaded per campaign (telecomViewer.campaignCap: tests)
  var st = { loading: false, error: null, items: [], segments: {}, capped: {}, selected: null };

  function cap() { return (window.telecomViewer && window.telecomViewer.campaignCap) || CAP; }

  /** The campaign's segments: {features, capped} (capped: more exist than were loaded). */
  function loadSegments(campaign) {
    var features = [];
    var limit = Math.min(5000, cap());
    function next(href) {
      return TGV.api.getJSON(href).then(function (page) {
        features = features.concat(page.features);
        var more = TGV.api.nextOf(page);
        if (more && features.length < cap()) { return next(more); }
        return { features: features, capped: !!more };
      });
    }
    return next("/campaigns/" + campaign.id + "/segments?limit=" + limit);
  }

  function selected() {
    return st.items.filter(function (c) { return c.id === st.selected; })[0] || null;
  }

  function draw() {
    var c = selected();
    TGV.map.showCampaign(c && st.segments[c.id] ? st.segments[c.id] : []);
  }

  function load() {
    st.loading = true;
    return TGV.api.getJSON("/campaigns/mine").then(function (answer) {
      st.items = answer.items;
      st.error = null;
      var saved = Number(localStorage.getItem(SELECTED_KEY));
      st.selected = st.items.some(function (c) { return c.id === saved; }) ? saved
        : (st.items[0] ? st.items[0].id : null);
      st.items.forEach(function (c) { if (c.checklist_version) { TGV.forms.prefetchPinned(c.checklist_version); } });
      return Promise.all(st.items.map(function (c) {
        if (st.segments[c.id]) { return null; }  // loaded already: kept up to date locally
        return loadSegments(c).then(function (got) {
          st.segments[c.id] = got.features;
          st.capped[c.id] = got.capped;
        }, function () { /* keep what we had */ });
      }));
    }, function (error) { st.error = error.message; }).then(function () {
      st.loading = false;
      draw();
      if (panels.current === "campaign") { panels.render(); }
    });
  }

  function render() {
    document.getElementById("sheet-title").textContent = t("campaign.title");
    var panel = document.getElementById("panel-campaign");
    if (st.loading && !st.items.length) { TGV.dom.fill(panel, h("p", { class: "muted" }, t("campaign.loading"))); return; }
    if (!st.items.length) { TGV.dom.fill(panel, h("p", {}, st.error ? st.error : t("campaign.none"))); return; }
    var c = selected();
    var features = st.segments[c.id] || [];
    var todo = features.filter(function (f) { return !f.properties.visited_by_me; });
    var progress = c.progress || {};
    var centre = TGV.map.leaflet.getCenter();
    todo.forEach(function (f) {
      var m = f.geometry.coordinates[Math.floor(f.geometry.coordinates.length / 2)];
      f._distance = TGV.map.distanceM(centre.lat, centre.lng, m[1], m[0]);
    });
    todo.sort(function (a, b) { return a._distance - b._distance; });
    var shown = todo.slice(0, 50);
    TGV.dom.fill(panel,
      st.items.length > 1 ? h("label", { class: "field" }, t("form.campaign"),
        h("select", { id: "campaign-select", onchange: function (ev) {
          st.selected = Number(ev.target.value);
          localStorage.setItem(SELECTED_KEY, String(st.selected));
          draw();
          render();
        } }, st.items.map(function (x) {
          return h("option", { value: x.id, selected: x.id === st.selected }, x.code + " · " + x.name);
        }))) : null,
      h("div", { class: "campaign", id: "campaign-summary", dataset: { campaign: c.id } },
        h("h3", {}, c.code + " · " + c.name),
        h("p", {}, t("campaign.period", { from: TGV.i18n.date(c.starts_on), to: TGV.i18n.date(c.ends_on) }), " · ",
          h("span", { class: "badge" }, t(c.assigned_to_me ? "campaign.assigned" : "campaign.open"))),
        h("p", { id: "campaign-progress" }, t("campaign.progress", {
          visited: TGV.i18n.number(progress.segments_visited, 0),
          total: TGV.i18n.number(progress.segments_in_scope, 0) })),
        h("p", { id: "campaign-todo" }, !st.segments[c.id] ? t("campaign.loading") : st.capped[c.id] ?
          t("campaign.todoCapped", { loaded: TGV.i18n.number(features.length, 0),
                                     total: TGV.i18n.number(progress.segments_in_scope, 0),
                                     n: TGV.i18n.number(todo.length, 0) }) :
          todo.length ? t("campaign.todo", { n: todo.length }) : t("campaign.allDone"))),
      h("ul", { class: "items tappable", id: "campaign-list" }, shown.map(function (f) {
        var p = f.properties;
        return h("li", {}, h("button", { type: "button", class: "row-button", dataset: { segment: f.id },
          onclick: function () { TGV.campaigns.onPick(f.id, f); } },
          "#" + f.id + " · ", [p.route, p.operator].filter(Boolean).join(" · "), " · ",
          TGV.i18n.label("placement", p.placement), " · ", TGV.i18n.number(p.length_m, 0) + " m",
          p.visited ? h("small", { class: "muted" }, " · " + t("campaign.byOther")) : null));
      })),
      todo.length > shown.length ? h("p", { class: "muted" }, t("campaign.more", { n: todo.length - shown.length })) : null);
  }

  TGV.campaigns = {
    load: load,
    render: render,
    /** fn(id, feature): the inspector tapped a segment of the list (set by viewer.js). */
    onPick: null,
    /** Running campaigns whose scope holds segment `id` (for the visit form). */
    of: function (id) {
      return st.items.filter(function (c) {
        return (st.segments[c.id] || []).some(function (f) { return f.id === id; });
      }).map(function (c) {
        return { id: c.id, code: c.code, name: c.name, checklist_version: c.checklist_version };
      });
    },
    markVisited: function (campaignId, segmentId) {
      (st.segments[campaignId] || []).forEach(function (f) {
        if (f.id === segmentId) { f.properties.visited = true; f.properties.visited_by_me = true; }
      });
      draw();
    }
  };
})(window.TGV = window.TGV || {});
