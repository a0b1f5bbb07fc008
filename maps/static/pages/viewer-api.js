// Field viewer: talking to the API with the bearer token the login page keeps in localStorage.
// Without a token, or when the API answers 401 to a read, the browser goes to the login page,
// which brings it back to /viewer.
(function (TGV) {
  "use strict";
  var TOKEN_KEY = "telecom-gis-token";
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
      return fetch("/session", { method: "DELETE", credentials: "same-origin" })
        .catch(function () {})
        .then(login);
    }
  };
})(window.TGV = window.TGV || {});
