// Field viewer: the visit form. The checklist items are those applying to the segment's
// placement, from the version in force (GET /checklists/in-force) or the one a campaign pins
// (GET /checklists/{code}); both are kept in localStorage so a visit can be recorded offline.
// Saving puts the visit and its photos in the device's queue (viewer-queue.js).
(function (TGV) {
  "use strict";
  var h = TGV.dom.h;
  var t = TGV.i18n.t;
  var IN_FORCE_KEY = "telecom-gis-checklist";
  var PINNED_KEY = "telecom-gis-checklist:";
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  var photoMaxBytes = 15 * 1024 * 1024;

  var state = null;   // the visit being filled in; null when the form is closed

  // ------------------------------------------------------------------ checklists
  function cached(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  /** {version, items} in force (from the network, else the copy on the device). */
  function inForce() {
    return TGV.api.getJSON("/checklists/in-force").then(function (c) {
      localStorage.setItem(IN_FORCE_KEY, JSON.stringify(c));
      return c;
    }, function (error) {
      var c = cached(IN_FORCE_KEY);
      if (c) { return c; }
      throw error;
    });
  }

  /** {version, items} of the version a campaign pins. */
  function pinned(code) {
    return TGV.api.getJSON("/checklists/" + code.split("/").map(encodeURIComponent).join("/"))
      .then(function (v) {
        var c = { version: v.code, items: v.checklist };
        localStorage.setItem(PINNED_KEY + code, JSON.stringify(c));
        return c;
      }, function (error) {
        var c = cached(PINNED_KEY + code);
        if (c) { return c; }
        throw error;
      });
  }

  function checklistFor(placement, campaign) {
    var source = campaign && campaign.checklist_version ? pinned(campaign.checklist_version) : inForce();
    return source.then(function (c) {
      return { version: c.version, items: c.items.filter(function (i) {
        return i.placements.indexOf(placement) >= 0;
      }).sort(function (a, b) { return a.position - b.position; }) };
    });
  }

  // ------------------------------------------------------------------ GPS
  function locate() {
    if (!navigator.geolocation) { state.gps = "none"; return; }
    state.gps = "waiting";
    var mine = state;
    navigator.geolocation.getCurrentPosition(function (pos) {
      if (state !== mine) { return; }
      state.position = { lon: pos.coords.longitude, lat: pos.coords.latitude,
                         accuracy_m: Math.min(10000, Math.round(pos.coords.accuracy * 10) / 10) };
      state.gps = "fix";
      renderGps();
    }, function () {
      if (state !== mine) { return; }
      state.gps = "none";
      renderGps();
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  function gpsText() {
    if (state.gps === "fix") { return t("form.gpsFix", { a: TGV.i18n.number(state.position.accuracy_m, 1) }); }
    return t(state.gps === "waiting" ? "form.gpsWaiting" : "form.gpsNone");
  }

  function renderGps() {
    var el = document.getElementById("form-gps");
    if (el) { el.textContent = gpsText(); }
  }

  // ------------------------------------------------------------------ results
  function resultOf(code) {
    state.results[code] = state.results[code] || { result: null, measured: "", note: "" };
    return state.results[code];
  }

  /** With a limit, the measured value decides pass or fail (the server checks the same). */
  function judge(item, value) {
    if (value === "" || item.limit_kind === null || item.limit_value === null) { return null; }
    var v = Number(value), limit = Number(item.limit_value);
    if (!isFinite(v)) { return null; }
    var within = item.limit_kind === "max" ? v <= limit : v >= limit;
    return within ? "pass" : "fail";
  }

  function itemBlock(item) {
    var r = resultOf(item.code);
    var name = "result-" + item.code;
    var text = TGV.i18n.lang === "vi" ? item.text_vi : item.text_en;
    var choices = TGV.i18n.values("result").map(function (value) {
      return h("label", { class: "choice choice-" + value, style: { "--c": TGV.i18n.colour("result", value) } },
        h("input", { type: "radio", name: name, value: value, checked: r.result === value,
                     onchange: function () { r.result = value; renderItem(item); } }),
        h("span", {}, TGV.i18n.label("result", value)));
    });
    var extra = [];
    if (item.measure_unit) {
      var limit = item.limit_kind ? t("form.limit", {
        kind: t("form.limit." + item.limit_kind), value: item.limit_value, unit: item.measure_unit }) : "";
      extra.push(h("label", { class: "measure" }, t("form.measured", { unit: item.measure_unit }) + " ",
        h("input", { type: "number", step: "any", inputmode: "decimal", name: "measured-" + item.code,
                     value: r.measured, oninput: function (ev) {
                       r.measured = ev.target.value;
                       var verdict = judge(item, r.measured);
                       if (verdict) { r.result = verdict; syncRadios(item); }
                     } }),
        limit ? h("small", {}, " " + limit) : null));
    }
    if (r.result === "fail" || r.note) {
      extra.push(h("input", { type: "text", class: "item-note", name: "note-" + item.code, maxlength: 2000,
                              placeholder: t("form.itemNote"), value: r.note,
                              oninput: function (ev) { r.note = ev.target.value; } }));
    }
    return h("fieldset", { class: "item", id: "item-" + item.code, dataset: { code: item.code } },
      h("legend", {}, h("b", {}, item.code), " ", text,
        h("span", { class: "severity", style: { "--c": TGV.i18n.colour("severity", item.severity) } },
          TGV.i18n.label("severity", item.severity))),
      h("div", { class: "choices", role: "radiogroup" }, choices),
      extra);
  }

  function syncRadios(item) {
    var r = resultOf(item.code);
    document.querySelectorAll('input[name="result-' + item.code + '"]').forEach(function (el) {
      el.checked = el.value === r.result;
    });
  }

  function renderItem(item) {
    var old = document.getElementById("item-" + item.code);
    if (old) { old.replaceWith(itemBlock(item)); }
  }

  // ------------------------------------------------------------------ photos
  function addPhotos(files) {
    Array.prototype.forEach.call(files, function (file) {
      var mb = function (n) { return TGV.i18n.number(n / 1048576, 1); };
      if (file.size > photoMaxBytes) {
        TGV.dom.toast(t("form.photoTooBig", { name: file.name, size: mb(file.size), max: mb(photoMaxBytes) }), "bad");
        return;
      }
      if (file.type && PHOTO_TYPES.indexOf(file.type) < 0) {
        TGV.dom.toast(t("form.photoType", { name: file.name }), "bad");
        return;
      }
      state.photos.push({ file: file, url: URL.createObjectURL(file) });
    });
    render();
  }

  function photoBlock() {
    return h("div", { class: "photos" },
      state.photos.map(function (p, i) {
        return h("figure", { class: "photo" }, h("img", { src: p.url, alt: t("sync.photo", { slot: i + 1 }) }),
          h("button", { type: "button", class: "small", onclick: function () {
            URL.revokeObjectURL(p.url);
            state.photos.splice(i, 1);
            render();
          } }, t("form.remove")));
      }),
      h("label", { class: "button add-photo" }, t("form.addPhoto"),
        h("input", { type: "file", accept: "image/*", capture: "environment", multiple: true,
                     id: "photo-input", class: "visually-hidden",
                     onchange: function (ev) { addPhotos(ev.target.files); ev.target.value = ""; } })));
  }

  // ------------------------------------------------------------------ the form
  function loadChecklist() {
    var mine = state;
    state.checklist = null;
    state.checklistError = null;
    return checklistFor(state.placement, state.campaign).then(function (c) {
      if (state !== mine) { return; }
      state.checklist = c;
      render();
    }, function () {
      if (state !== mine) { return; }
      state.checklistError = true;
      render();
    });
  }

  function campaignBlock() {
    if (!state.campaigns.length) { return null; }
    return h("label", { class: "field" }, t("form.campaign"),
      h("select", { name: "campaign", onchange: function (ev) {
        var id = Number(ev.target.value);
        state.campaign = state.campaigns.filter(function (c) { return c.id === id; })[0] || null;
        loadChecklist();
      } },
        h("option", { value: "", selected: !state.campaign }, t("form.noCampaign")),
        state.campaigns.map(function (c) {
          return h("option", { value: c.id, selected: state.campaign && state.campaign.id === c.id },
            c.code + " · " + c.name);
        })));
  }

  function checklistBlock() {
    if (state.checklistError) { return h("p", { class: "bad" }, t("form.noChecklist")); }
    if (!state.checklist) { return h("p", { class: "muted" }, "…"); }
    if (!state.checklist.items.length) { return h("p", {}, t("form.noItems")); }
    return [
      h("div", { class: "row" }, h("h3", {}, t("form.checklist", { version: state.checklist.version })),
        h("button", { type: "button", class: "small", id: "rest-pass", onclick: function () {
          state.checklist.items.forEach(function (item) {
            var r = resultOf(item.code);
            if (!r.result) { r.result = "pass"; }
          });
          render();
        } }, t("form.restPass"))),
      state.checklist.items.map(itemBlock)
    ];
  }

  function render() {
    var panel = document.getElementById("panel-form");
    if (!state) { TGV.dom.clear(panel); return; }
    var s = state.segment;
    TGV.dom.fill(panel,
      h("form", { id: "visit-form", novalidate: true, onsubmit: function (ev) { ev.preventDefault(); submit(); } },
        h("p", { class: "form-segment" }, h("b", {}, t("form.segment") + ": "),
          "#" + s.id + " · " + [s.route, s.operator].filter(Boolean).join(" · ") + " · " +
          TGV.i18n.label("placement", state.placement)),
        h("p", {}, h("b", {}, t("form.gps") + ": "), h("span", { id: "form-gps" }, gpsText())),
        campaignBlock(),
        checklistBlock(),
        h("label", { class: "field" }, t("form.note"),
          h("textarea", { name: "note", rows: 2, maxlength: 4000,
                          oninput: function (ev) { state.note = ev.target.value; } }, state.note)),
        h("h3", {}, t("form.photos")),
        photoBlock(),
        h("p", { id: "form-error", class: "bad", role: "alert", hidden: !state.error }, state.error || ""),
        h("div", { class: "actions" },
          h("button", { type: "button", onclick: close }, t("form.cancel")),
          h("button", { type: "submit", class: "primary", id: "form-submit",
                        disabled: !state.checklist || !state.checklist.items.length }, t("form.submit")))));
  }

  function close() {
    if (state) { state.photos.forEach(function (p) { URL.revokeObjectURL(p.url); }); }
    var back = state && state.segment.id;
    state = null;
    render();
    if (back && TGV.forms.onClose) { TGV.forms.onClose(back); }
  }

  function submit() {
    var items = state.checklist.items;
    var missing = items.filter(function (i) { return !resultOf(i.code).result; })
      .map(function (i) { return i.code; });
    if (missing.length) {
      state.error = t("form.missing", { items: missing.join(", ") });
      render();
      var first = document.getElementById("item-" + missing[0]);
      if (first) { first.scrollIntoView({ block: "center" }); }
      return;
    }
    var body = {
      segment_id: state.segment.id,
      visited_at: state.openedAt,
      results: items.map(function (item) {
        var r = resultOf(item.code);
        var out = { item: item.code, result: r.result };
        if (item.measure_unit && r.measured !== "" && r.result !== "not_checked") { out.measured_value = r.measured; }
        if (r.note.trim()) { out.note = r.note.trim(); }
        return out;
      })
    };
    if (state.position) { body.position = state.position; }
    if (state.campaign) { body.campaign_id = state.campaign.id; }
    if (state.note.trim()) { body.note = state.note.trim(); }
    var files = state.photos.map(function (p) { return p.file; });
    var meta = { segment_id: state.segment.id,
                 label: [state.segment.route, state.segment.operator].filter(Boolean).join(" · ") };
    var button = document.getElementById("form-submit");
    if (button) { button.disabled = true; }
    TGV.queue.add(body, files, meta).then(function (key) {
      TGV.dom.toast(t("form.saved"), "good");
      close();
      if (TGV.forms.onSaved) { TGV.forms.onSaved(key); }
    }, function (error) {
      state.error = String(error && error.message || error);
      render();
    });
  }

  TGV.forms = {
    setPhotoLimit: function (bytes) { photoMaxBytes = bytes; },
    /** Fetch the checklist in force now, so that it is on the device before going offline. */
    prefetch: function () { return inForce().catch(function () {}); },
    prefetchPinned: function (code) { return pinned(code).catch(function () {}); },
    /**
     * Open the form for `segment` ({id, route, operator, placement}); `campaigns` are the
     * running campaigns whose scope holds it ({id, code, name, checklist_version}); the first
     * is chosen. The visit time is when the form opens.
     */
    open: function (segment, campaigns) {
      if (state) { state.photos.forEach(function (p) { URL.revokeObjectURL(p.url); }); }
      state = {
        segment: segment, placement: segment.placement, campaigns: campaigns || [],
        campaign: (campaigns || [])[0] || null, results: {}, photos: [], note: "",
        position: null, gps: "none", error: null, checklist: null,
        openedAt: new Date().toISOString()
      };
      locate();
      render();
      return loadChecklist();
    },
    render: render,
    get isOpen() { return state !== null; },
    onSaved: null,
    onClose: null
  };
})(window.TGV = window.TGV || {});
