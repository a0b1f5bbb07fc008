// Field viewer: the offline queue. Every visit is written to IndexedDB first (with its photos,
// as blobs), then sent. Each visit and each photo has its own state:
//   queued  -> waiting to be sent (no network yet, server busy, or waiting for its visit)
//   sending -> a request is under way
//   sent    -> the server has it (a visit keeps the id the server gave it)
//   failed  -> the server refused it (a 4xx other than 408/429, e.g. 409: the key already
//              recorded another body or another user's visit; retrying cannot help): the
//              problem's detail and fields are kept and shown; not retried until asked.
// The Idempotency-Key is made on the device when the record is created and sent with every
// attempt, so a retry after a lost answer (or a cut-off one) never records the visit twice.
// Photos are uploaded once their visit is acknowledged (PUT /inspections/{id}/photos/{slot});
// the same bytes sent again are answered 200. Retries: on the `online` event, every RETRY_MS,
// and with a back-off after an error answer.
// Every visit belongs to the user signed in when it was made (`owner`): on a shared device it
// is sent only with that user's token (the server files a visit under the token's user), the
// others wait, shown as someone else's. Before sending, GET /me tells whose the token is; a
// 401 (the token expired or was revoked while records waited) sends nothing and asks for a
// new sign-in: the records keep their keys, so they go once that user is back.
(function (TGV) {
  "use strict";
  var RETRY_MS = 30000;
  var MAX_BACKOFF_MS = 30 * 60 * 1000;
  var listeners = [];
  var running = null;
  var again = null;  // null: no pass asked for while one runs; else whether it is forced
  var needsLogin = false;
  var fallbackUser = null;  // the page's user, when the device does not know the token's

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") { return crypto.randomUUID(); }
    // crypto.randomUUID needs a secure context (https or localhost): build a v4 UUID otherwise.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return hex.slice(0, 4).join("") + "-" + hex.slice(4, 6).join("") + "-" +
      hex.slice(6, 8).join("") + "-" + hex.slice(8, 10).join("") + "-" + hex.slice(10).join("");
  }

  function notify() { listeners.forEach(function (fn) { try { fn(); } catch (e) { console.error(e); } }); }

  function backoff(attempts) {
    return Math.min(MAX_BACKOFF_MS, 10000 * Math.pow(2, Math.max(0, attempts - 1)));
  }

  /** What to do with an answer that is not a success: retry later, or give up. (409 is not
   *  transient here: the server serialises requests with one key, so a 409 means the key
   *  recorded another body or another user's visit, or a photo slot holds other bytes.) */
  function isRetryable(status) {
    return status === 408 || status === 429 || status >= 500;
  }

  /** The username visits are filed under now: the token's user. */
  function currentUser() {
    var me = TGV.api.identity();
    return me ? me.username : fallbackUser;
  }

  /** Whether `visit` may be sent with the current token (visits made before owners were
   *  recorded have none). */
  function isMine(visit) {
    return !visit.owner || visit.owner === currentUser();
  }

  function errorOf(status, problem) {
    return {
      status: status,
      detail: problem.detail || problem.title || ("HTTP " + status),
      fields: (problem.errors || []).map(function (e) { return { field: e.field, detail: e.detail }; })
    };
  }

  function save(store, record) { return TGV.store.put(store, record).then(notify); }

  /** Apply the outcome of an attempt to `record` (a visit or a photo) and store it. */
  function settle(store, record, response, problem) {
    record.attempts = (record.attempts || 0) + 1;
    record.last_attempt_at = Date.now();
    if (response === null) {  // no answer: offline, or the connection dropped
      record.state = "queued";
      record.error = { network: true };
      record.next_at = Date.now() + RETRY_MS;
    } else if (response.status === 401) {
      needsLogin = true;
      record.state = "queued";
      record.error = { status: 401, login: true, detail: problem.detail || "" };
      record.next_at = Date.now() + RETRY_MS;
    } else if (isRetryable(response.status)) {
      var after = Number(response.headers.get("Retry-After"));
      record.state = "queued";
      record.error = errorOf(response.status, problem);
      record.next_at = Date.now() + (after > 0 ? after * 1000 : backoff(record.attempts));
    } else {
      record.state = "failed";
      record.error = errorOf(response.status, problem);
      record.next_at = null;
    }
    return save(store, record);
  }

  function due(record, force) {
    return record.state === "queued" && (force || !record.next_at || record.next_at <= Date.now());
  }

  /**
   * Send one record (a visit or a photo): `request()` makes the fetch, `accept(answer,
   * response)` notes a success (200 or 201) on the record. Resolves true when the network
   * answered (whatever the answer), false when it did not.
   */
  function send(store, record, request, accept) {
    record.state = "sending";
    var answered = false;
    return save(store, record).then(request).then(function (response) {
      answered = true;
      if (response.status === 201 || response.status === 200) {
        return response.json().then(function (answer) {
          record.state = "sent";
          record.error = null;
          record.next_at = null;
          record.attempts = (record.attempts || 0) + 1;
          record.sent_at = Date.now();
          accept(answer, response);
          return save(store, record).then(function () { return true; });
        });
      }
      return TGV.api.problemOf(response).then(function (problem) {
        return settle(store, record, response, problem).then(function () { return true; });
      });
    }).catch(function (error) {
      // No answer, or one cut off while its body was read (the server may have recorded the
      // visit: the retry with the same key gets it back). Never leave a record `sending`.
      if (answered) { console.warn("answer lost", error); }
      return settle(store, record, null, {}).then(function () { return false; });
    });
  }

  /** POST a visit with its Idempotency-Key; keep the id the server gave it. */
  function sendVisit(visit) {
    return send("visits", visit, function () {
      return fetch("/inspections", {
        method: "POST",
        credentials: "same-origin",
        headers: TGV.api.headers({ "Content-Type": "application/json",
                                   "Idempotency-Key": visit.key }),
        body: JSON.stringify(visit.body)
      });
    }, function (recorded, response) {
      visit.inspection_id = recorded.id;
      visit.replayed = response.headers.get("Idempotency-Replayed") === "true";
    });
  }

  /** PUT a photo of an acknowledged visit; once stored, the device forgets its bytes. */
  function sendPhoto(photo, visit) {
    return send("photos", photo, function () {
      var form = new FormData();
      form.append("file", photo.blob, photo.name || ("photo-" + photo.slot + ".jpg"));
      return fetch("/inspections/" + visit.inspection_id + "/photos/" + photo.slot, {
        method: "PUT", credentials: "same-origin", headers: TGV.api.headers(), body: form
      });
    }, function (stored) {
      photo.sha256 = stored.slot && stored.slot.sha256;
      photo.blob = null;
    });
  }

  /** Whether the current token may send: GET /me first (only when something is due). A 401
   *  means sign in again (nothing is sent, no attempt is spent); no answer means try anyway
   *  (the sends then note the network). */
  function mayKnowWho() {
    return TGV.api.whoami().then(function (answer) {
      if (answer.status === 401) { needsLogin = true; return false; }
      if (answer.status === 200) { needsLogin = false; }
      return true;
    }, function () { return true; });
  }

  /** One pass over the queue, oldest first; stops at the first network failure. Only the
   *  current user's visits are sent. */
  function pass(force) {
    return Promise.all([TGV.store.getAll("visits"), TGV.store.getAll("photos")])
      .then(function (all) {
        var visits = all[0].sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
        var photos = all[1];
        var work = visits.some(function (v) {
          return due(v, force) || (v.state === "sent" && photos.some(function (p) {
            return p.visit_key === v.key && due(p, force);
          }));
        });
        return !work ? null : mayKnowWho().then(function (go) {
          return go ? sendAll(visits, photos, force) : null;
        });
      });
  }

  /** Send the current user's due visits, each followed by its due photos. */
  function sendAll(visits, photos, force) {
    var online = true;
    var chain = Promise.resolve();
    visits.forEach(function (visit) {
      chain = chain.then(function () {
        if (!online || !isMine(visit)) { return; }
        var first = due(visit, force) ? sendVisit(visit) : Promise.resolve(true);
        return first.then(function (answered) {
          online = answered;
          if (!online || visit.state !== "sent") { return; }
          var own = photos.filter(function (p) { return p.visit_key === visit.key; })
            .sort(function (a, b) { return a.slot - b.slot; });
          var photoChain = Promise.resolve();
          own.forEach(function (photo) {
            photoChain = photoChain.then(function () {
              if (!online || !due(photo, force)) { return; }
              return sendPhoto(photo, visit).then(function (ok) { online = ok; });
            });
          });
          return photoChain;
        });
      });
    });
    return chain;
  }

  /** Send what is due (everything queued when `force`); one pass at a time. */
  function sync(force) {
    if (running) {  // one more pass after this one (forced if any caller asked so)
      again = again === null ? !!force : (again || !!force);
      return running;
    }
    running = pass(force).catch(function (e) { console.error("sync", e); }).then(function () {
      running = null;
      notify();
      if (again !== null) {
        var forced = again;
        again = null;
        return sync(forced);
      }
    });
    return running;
  }

  function withLock(fn) {
    // Two tabs of the viewer must not send the same record at the same moment (harmless, as
    // the key makes it idempotent, but noisy): a Web Lock when the browser has them.
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("telecom-gis-viewer-sync", fn);
    }
    return fn();
  }

  TGV.queue = {
    uuid: uuid,
    /** Start: records left `sending` by a closed page are queued again; retry on `online`
     *  and every RETRY_MS. `user`: the page's username, for when the device does not know
     *  whose the token is (no sign-in through the login page yet). */
    start: function (user) {
      fallbackUser = user || null;
      return Promise.all([TGV.store.getAll("visits"), TGV.store.getAll("photos")])
        .then(function (all) {
          var stale = [];
          all[0].forEach(function (v) { if (v.state === "sending") { v.state = "queued"; stale.push(["visits", v]); } });
          all[1].forEach(function (p) { if (p.state === "sending") { p.state = "queued"; stale.push(["photos", p]); } });
          return Promise.all(stale.map(function (s) { return TGV.store.put(s[0], s[1]); }));
        }).then(function () {
          window.addEventListener("online", function () { TGV.queue.syncNow(true); });
          setInterval(function () { if (navigator.onLine !== false) { TGV.queue.syncNow(false); } }, RETRY_MS);
          notify();
          return TGV.queue.syncNow(true);
        });
    },
    /**
     * Create a visit record with its photos on the device, then try to send it.
     * `body` is the POST /inspections body without `photos` (set here from `blobs`);
     * `meta` is what the sync panel shows ({segment_id, label}). Resolves with the key.
     */
    add: function (body, blobs, meta) {
      var key = uuid();
      var now = new Date().toISOString();
      var visit = {
        key: key, created_at: now, owner: currentUser(), state: "queued", attempts: 0,
        next_at: 0, error: null,
        inspection_id: null, meta: meta || {},
        body: Object.assign({}, body, { photos: blobs.length })
      };
      var photos = blobs.map(function (file, i) {
        return { id: key + "/" + (i + 1), visit_key: key, slot: i + 1, blob: file,
                 name: file.name || ("photo-" + (i + 1) + ".jpg"), type: file.type,
                 size: file.size, state: "queued", attempts: 0, next_at: 0, error: null,
                 created_at: now };
      });
      return TGV.store.transaction(["visits", "photos"], "readwrite", function (vs, ps) {
        vs.put(visit);
        photos.forEach(function (p) { ps.put(p); });
      }).then(function () {
        notify();
        TGV.queue.syncNow(true);
        return key;
      });
    },
    syncNow: function (force) { return withLock(function () { return sync(force); }); },
    /** Every record and photo on the device: {visits: [...newest first], photos: {key: [...]}} */
    list: function () {
      return Promise.all([TGV.store.getAll("visits"), TGV.store.getAll("photos")])
        .then(function (all) {
          var photos = {};
          all[1].forEach(function (p) { (photos[p.visit_key] = photos[p.visit_key] || []).push(p); });
          Object.keys(photos).forEach(function (k) { photos[k].sort(function (a, b) { return a.slot - b.slot; }); });
          var visits = all[0].sort(function (a, b) { return a.created_at < b.created_at ? 1 : -1; });
          return { visits: visits, photos: photos };
        });
    },
    /** How many visits and photos are not sent yet. */
    pending: function () {
      return TGV.queue.list().then(function (l) {
        var n = l.visits.filter(function (v) { return v.state !== "sent"; }).length;
        Object.keys(l.photos).forEach(function (k) {
          n += l.photos[k].filter(function (p) { return p.state !== "sent"; }).length;
        });
        return n;
      });
    },
    /** Put a failed visit (and its failed photos) back in the queue. */
    retry: function (key) {
      return Promise.all([TGV.store.get("visits", key), TGV.store.photosOf(key)]).then(function (r) {
        var writes = [];
        [["visits", r[0]]].concat(r[1].map(function (p) { return ["photos", p]; }))
          .forEach(function (pair) {
            var rec = pair[1];
            if (rec && rec.state === "failed") {
              rec.state = "queued"; rec.next_at = 0; writes.push(TGV.store.put(pair[0], rec));
            }
          });
        return Promise.all(writes);
      }).then(function () { notify(); return TGV.queue.syncNow(true); });
    },
    /** Remove a visit and its photos from the device. */
    discard: function (key) {
      return TGV.store.photosOf(key).then(function (photos) {
        return TGV.store.transaction(["visits", "photos"], "readwrite", function (vs, ps) {
          vs.delete(key);
          photos.forEach(function (p) { ps.delete(p.id); });
        });
      }).then(notify);
    },
    /** Remove the visits that are sent with all their photos. */
    clearSent: function () {
      return TGV.queue.list().then(function (l) {
        var done = l.visits.filter(function (v) {
          return v.state === "sent" && (l.photos[v.key] || []).every(function (p) { return p.state === "sent"; });
        });
        return Promise.all(done.map(function (v) { return TGV.queue.discard(v.key); }));
      });
    },
    onChange: function (fn) { listeners.push(fn); },
    /** Whether `visit` is the current user's (else it waits for its owner to sign in). */
    isMine: isMine,
    get user() { return currentUser(); },
    get needsLogin() { return needsLogin; }
  };
})(window.TGV = window.TGV || {});
