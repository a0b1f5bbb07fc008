// Field viewer: talking to the API with the bearer token the login page keeps in localStorage.
// Without a token, or when the API answers 401 to a read, the browser goes to the login page,
// which brings it back to /viewer.
(function (TGV) {
  "use strict";
  var TOKEN_KEY = "telecom-gis-token";
  //: Whose the token is ({username, role}): set by the login page with the token, refreshed
  //: from GET /me. The queue files offline visits under this user.
  var USER_KEY = "telecom-gis-user";
  var LOGIN = "/login?next=" + encodeURIComponent("/viewer");

  /** An answer other than 2xx: `status`, and the RFC 9457 problem (`detail`, `errors`). */
  function ApiError(status, problem) {
    this.name = "ApiError";
    this.status = status;
    this.problem = problem || {};
    this.message = (problem && problem.detail) || ("HTTP " + status);
  }
  ApiError.prototype = Object.create(Error.prototype);

  function token() { return localStorage.getItem(TOKEN_KEY); }

  /** {username, role} of the token's user as last known on this device, or null. */
  function identity() {
    try {
      var user = JSON.parse(localStorage.getItem(USER_KEY));
      return user && user.username ? { username: user.username, role: user.role } : null;
    } catch (e) { return null; }
  }

  /**
   * Ask the server whose the bearer token is (GET /me, the header only: never the page
   * cookie, which may belong to someone else). Resolves {status: 200, me} (and keeps the
   * identity) or {status} for another answer, without sending the browser to the login page;
   * rejects when there is no network.
   */
  function whoami() {
    return fetch("/me", { headers: headers(), credentials: "omit", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { return { status: response.status, me: null }; }
        return response.json().then(function (me) {
          localStorage.setItem(USER_KEY, JSON.stringify({ username: me.username, role: me.role }));
          return { status: 200, me: me };
        });
      });
  }

  function login() { location.replace(LOGIN); }

  function headers(extra) {
    var result = { Accept: "application/json, application/geo+json" };
    var t = token();
    if (t) { result.Authorization = "Bearer " + t; }
    Object.keys(extra || {}).forEach(function (k) { result[k] = extra[k]; });
    return result;
  }

  /** The problem document of a failed response ({} when it has none). */
  function problemOf(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text); } catch (e) { return { detail: text.slice(0, 300) }; }
    });
  }

  /** GET `url` as JSON; 401 sends the browser to the login page. */
  function getJSON(url, options) {
    return fetch(url, {
      headers: headers(), credentials: "same-origin", signal: options && options.signal
    }).then(function (response) {
      if (response.status === 401) {
        login();
        throw new ApiError(401, { detail: "not signed in" });
      }
      if (!response.ok) {
        return problemOf(response).then(function (p) { throw new ApiError(response.status, p); });
      }
      return response.json();
    });
  }

  /** Same-origin path of a link the API returned (absolute, maybe with another host name). */
  function localHref(href) {
    var url = new URL(href, location.href);
    return url.pathname + url.search;
  }

  TGV.api = {
    ApiError: ApiError,
    token: token,
    identity: identity,
    whoami: whoami,
    login: login,
    headers: headers,
    problemOf: problemOf,
    getJSON: getJSON,
    localHref: localHref,
    /** The `next` link of a GeoJSON page, or null. */
    nextOf: function (page) {
      var next = (page.links || []).filter(function (l) { return l.rel === "next"; })[0];
      return next ? localHref(next.href) : null;
    },
    /** Forget the token and the page session (cookie); the queue stays on the device. */
    signOut: function () {
      localStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(USER_KEY);
      return fetch("/session", { method: "DELETE", credentials: "same-origin" })
        .catch(function () {})
        .then(login);
    }
  };
})(window.TGV = window.TGV || {});
