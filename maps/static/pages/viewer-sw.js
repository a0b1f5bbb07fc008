// Service worker of the field viewer (served at /viewer/sw.js with scope /viewer; the server
// prepends SHELL, VERSION and SCOPE). It keeps the app shell (the page, its scripts and styles,
// Leaflet) so that the viewer opens with no network, and the last answers of the few API reads
// the page needs offline (checklists, campaigns, segment details). It never touches writes:
// visits and photos go from the page (its IndexedDB queue) straight to the network.
// The API answers are the signed-in user's (an operator's user sees only its own network; "my
// campaigns" are one inspector's): they are kept in a cache named after a digest of the
// request's bearer token, answered only to requests with that same token, and the answers of
// any other token are dropped as soon as a new token's answer is kept, so a shared device never
// shows one user what the server gave another. Requests without a bearer header are not cached.
/* global SHELL, VERSION, SCOPE */
"use strict";

var SHELL_CACHE = "viewer-shell-" + VERSION;
//: Prefix of the per-token caches of API answers ("viewer-data-" + 32 hex digits).
var DATA_PREFIX = "viewer-data-";
//: The cache of API answers all users shared before they were kept per token.
var LEGACY_DATA_CACHE = "viewer-data-v1";
//: API reads kept for offline use (network first, cache when the network fails).
var DATA_PATHS = /^\/(me$|checklists\/|campaigns\/mine$|campaigns\/\d+\/segments$|segments\/\d+$)/;
//: How long a navigation waits for the network before the cached page is shown (ms).
var NAVIGATION_TIMEOUT = 6000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    var assets = SHELL.filter(function (url) { return url !== SCOPE; });
    var page = fetch(SCOPE, { credentials: "same-origin", cache: "reload" })
      .then(function (response) {
        // Without a session the page is a redirect to the login: keep nothing then.
        if (response.ok && !response.redirected) { return cache.put(SCOPE, response); }
      })
      .catch(function () { /* offline install: the page is stored at its next visit */ });
    var files = cache.addAll(assets.map(function (url) {
      return new Request(url, { cache: "reload", credentials: "same-origin" });
    }));
    return Promise.all([page, files]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return (name.indexOf("viewer-shell-") === 0 && name !== SHELL_CACHE) ||
        name === LEGACY_DATA_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

function page(request) {
  return withTimeout(fetch(request), NAVIGATION_TIMEOUT).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected) {
      var copy = response.clone();
      caches.open(SHELL_CACHE).then(function (cache) { cache.put(SCOPE, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(SCOPE, { cacheName: SHELL_CACHE }).then(function (cached) {
      return cached || Response.error();
    });
  });
}

function asset(request) {
  // Exact URL (with its ?v= version): an asset of another version comes from the network.
  return caches.match(request).then(function (cached) {
    return cached || fetch(request);
  });
}

/** The name of the cache of API answers to `request`'s bearer token (null: no token). */
function dataCacheName(request) {
  var authorization = request.headers.get("Authorization");
  if (!authorization) { return Promise.resolve(null); }
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(authorization))
    .then(function (digest) {
      return DATA_PREFIX + Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return (b + 0x100).toString(16).slice(1);
      }).join("").slice(0, 32);
    });
}

function dropDataCaches(except) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(DATA_PREFIX) === 0 && name !== except;
    }).map(function (name) { return caches.delete(name); }));
  });
}

/** Keep `response` in the cache `name` (one token's), dropping every other token's answers. */
function keep(name, request, response) {
  return dropDataCaches(name).then(function () { return caches.open(name); })
    .then(function (cache) { return cache.put(request, response); });
}

function data(event) {
  var request = event.request;
  return dataCacheName(request).then(function (name) {
    if (!name) { return fetch(request); }
    return fetch(request).then(function (response) {
      if (response.ok) { event.waitUntil(keep(name, request, response.clone())); }
      return response;
    }).catch(function (error) {
      return caches.match(request, { cacheName: name }).then(function (cached) {
        if (cached) { return cached; }
        throw error;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === SCOPE) {
    event.respondWith(page(request));
  } else if (SHELL.indexOf(url.pathname + url.search) >= 0) {
    event.respondWith(asset(request));
  } else if (DATA_PATHS.test(url.pathname)) {
    event.respondWith(data(event));
  }
});

self.addEventListener("message", function (event) {
  // The page asks to forget the cached API answers (sign-out): every token's.
  if (event.data === "forget-data") { event.waitUntil(dropDataCaches(null)); }
});
