// Field viewer: the device's IndexedDB. Three stores:
//   visits   : one record per visit to send {key (the Idempotency-Key), body, state, error, ...}
//   photos   : one per photo {id: "<key>/<slot>", visit_key, slot, blob, state, error, ...}
//   segments : segments drawn before {id, feature, bbox: [w, s, e, n]}, to draw them offline
// Every function returns a Promise.
(function (TGV) {
  "use strict";
  var DB_NAME = "telecom-gis-viewer";
  var VERSION = 1;
  var opening = null;

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function open() {
    if (opening) { return opening; }
    opening = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("visits")) {
          db.createObjectStore("visits", { keyPath: "key" });
        }
        if (!db.objectStoreNames.contains("photos")) {
          var photos = db.createObjectStore("photos", { keyPath: "id" });
          photos.createIndex("visit_key", "visit_key");
        }
        if (!db.objectStoreNames.contains("segments")) {
          db.createObjectStore("segments", { keyPath: "id" });
        }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { opening = null; reject(request.error); };
    });
    return opening;
  }

  /** Run fn(stores...) in one transaction over storeNames; resolves when it commits, with
   *  what fn returned (the result of an IDBRequest it returned). */
  function transaction(storeNames, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeNames, mode);
        var value;
        tx.oncomplete = function () {
          resolve(value instanceof IDBRequest ? value.result : value);
        };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("transaction aborted")); };
        value = fn.apply(null, storeNames.map(function (name) { return tx.objectStore(name); }));
      });
    });
  }

  TGV.store = {
    open: open,
    transaction: transaction,
    get: function (store, key) {
      return open().then(function (db) {
        return promised(db.transaction(store).objectStore(store).get(key));
      });
    },
    getAll: function (store) {
      return open().then(function (db) {
        return promised(db.transaction(store).objectStore(store).getAll());
      });
    },
    put: function (store, value) {
      return transaction([store], "readwrite", function (s) { s.put(value); });
    },
    putAll: function (store, values) {
      return transaction([store], "readwrite", function (s) {
        values.forEach(function (value) { s.put(value); });
      });
    },
    /** Remove every record of `store`. */
    clear: function (store) {
      return transaction([store], "readwrite", function (s) { s.clear(); });
    },
    remove: function (store, key) {
      return transaction([store], "readwrite", function (s) { s.delete(key); });
    },
    /** The photos of one visit, by slot. */
    photosOf: function (visitKey) {
      return open().then(function (db) {
        var index = db.transaction("photos").objectStore("photos").index("visit_key");
        return promised(index.getAll(visitKey));
      }).then(function (photos) {
        return photos.sort(function (a, b) { return a.slot - b.slot; });
      });
    }
  };
})(window.TGV = window.TGV || {});
