// Field viewer: the "Đồng bộ / Sync" panel. Every visit and photo on the device with its state
// (queued, sending, sent, failed), the server's reason when it refused one (detail and fields),
// whose it is when another user recorded it on this device, and the count of what is not sent
// yet on the top bar.
(function (TGV) {
  "use strict";
  var h = TGV.dom.h;
  var t = TGV.i18n.t;
  var panels = TGV.dom.panels;
  var syncState = { visits: [], photos: {} };

  function stateBadge(state) {
    return h("span", { class: "state state-" + state, dataset: { state: state } }, t("sync.state." + state));
  }

  function errorText(error) {
    if (!error) { return null; }
    if (error.network) { return h("span", { class: "muted" }, t("sync.network")); }
    if (error.login) { return h("span", { class: "bad" }, t("sync.login")); }
    return h("span", { class: "problem" }, error.status + ": " + error.detail,
      error.fields && error.fields.length ? h("ul", { class: "fields" }, error.fields.map(function (f) {
        return h("li", {}, h("code", {}, f.field), " ", f.detail);
      })) : null);
  }

  function renderSync() {
    document.getElementById("sheet-title").textContent = t("sync.title");
    var panel = document.getElementById("panel-sync");
    var visits = syncState.visits;
    TGV.dom.fill(panel,
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", id: "sync-now", onclick: function () { TGV.queue.syncNow(true); } }, t("sync.now")),
        h("button", { type: "button", onclick: function () { TGV.queue.clearSent(); } }, t("sync.clearSent"))),
      TGV.queue.needsLogin ? h("p", { class: "bad" }, h("a", { href: "/login?next=/viewer" }, t("sync.login"))) : null,
      visits.length === 0 ? h("p", { class: "muted" }, t("sync.empty")) :
        h("ul", { class: "records", id: "sync-list" }, visits.map(function (v) {
          var photos = syncState.photos[v.key] || [];
          var mine = TGV.queue.isMine(v);
          return h("li", { class: "record", dataset: { key: v.key, state: v.state, owner: v.owner || "" } },
            h("div", { class: "row" },
              h("span", {}, h("b", {}, t("sync.visit", { segment: v.body.segment_id })),
                v.meta && v.meta.label ? " · " + v.meta.label : "", h("br"),
                h("small", { class: "muted" }, TGV.i18n.dateTime(v.created_at))),
              stateBadge(v.state)),
            mine ? null : h("p", { class: "bad other-user" }, t("sync.otherUser", { user: v.owner })),
            v.inspection_id ? h("p", { class: "good" }, t("sync.recorded", { id: v.inspection_id })) : null,
            errorText(v.error),
            v.state === "queued" && v.next_at && v.next_at > Date.now() && !(v.error && v.error.network) ?
              h("small", { class: "muted" }, " " + t("sync.retryAt", { time: TGV.i18n.time(v.next_at) })) : null,
            photos.length ? h("ul", { class: "photo-states" }, photos.map(function (p) {
              return h("li", { class: "photo-state", dataset: { slot: p.slot, state: p.state } },
                t("sync.photo", { slot: p.slot }), " ", stateBadge(p.state), " ",
                p.state === "queued" && v.state !== "sent" ? h("small", { class: "muted" }, t("sync.waitVisit")) : errorText(p.error));
            })) : null,
            h("div", { class: "actions" },
              v.state === "failed" || photos.some(function (p) { return p.state === "failed"; }) ?
                h("button", { type: "button", class: "small", onclick: function () { TGV.queue.retry(v.key); } }, t("sync.retry")) : null,
              v.state !== "sending" ? h("button", { type: "button", class: "small", onclick: function () {
                if (confirm(t("sync.confirmDiscard"))) { TGV.queue.discard(v.key); }
              } }, t("sync.discard")) : null));
        })));
  }

  function refreshQueue() {
    return TGV.queue.list().then(function (l) {
      var before = {};
      syncState.visits.forEach(function (v) { before[v.key] = v.state; });
      syncState = l;
      var pending = l.visits.filter(function (v) { return v.state !== "sent"; }).length;
      var failed = l.visits.some(function (v) { return v.state === "failed"; });
      Object.keys(l.photos).forEach(function (k) {
        pending += l.photos[k].filter(function (p) { return p.state !== "sent"; }).length;
        failed = failed || l.photos[k].some(function (p) { return p.state === "failed"; });
      });
      var b = document.getElementById("sync-badge");
      b.hidden = pending === 0;
      b.textContent = String(pending);
      b.classList.toggle("bad", failed);
      window.telecomViewer.pending = pending;
      if (panels.current === "sync") { renderSync(); }
      var newlySent = l.visits.some(function (v) { return v.state === "sent" && before[v.key] && before[v.key] !== "sent"; });
      if (newlySent && TGV.syncPanel.onSent) { TGV.syncPanel.onSent(); }
    });
  }

  TGV.syncPanel = {
    render: renderSync,
    /** Re-read the queue (on every change of it): badge, panel, and onSent when a visit
     *  has just been accepted. */
    refresh: refreshQueue,
    onSent: null
  };
})(window.TGV = window.TGV || {});
