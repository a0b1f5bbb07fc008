// Login: the token is checked by POST /session, which sets the page cookie (HttpOnly,
// SameSite=Strict, used for GET requests only); the token is also kept in localStorage so
// the viewer can send it as a bearer header, including for visits queued offline.
(function () {
  "use strict";
  var TOKEN_KEY = "telecom-gis-token";
  var USER_KEY = "telecom-gis-user";
  var texts = {
    en: { "login.intro": "Enter the access token (API token) your administrator gave you.",
          "login.token": "Access token", "login.submit": "Sign in", other: "Tiếng Việt",
          bad: "This token was not accepted: " },
    vi: { "login.intro": "Nhập mã truy cập (API token) do quản trị viên cấp.",
          "login.token": "Mã truy cập", "login.submit": "Đăng nhập", other: "English",
          bad: "Mã truy cập không hợp lệ: " }
  };
  var lang = localStorage.getItem("telecom-gis-lang") || "vi";

  /** `next` if it is a page of this site, else "/". Resolved as the browser will resolve it,
   *  so that "//host", "/\\host" and "/<tab>/host" (the URL parser drops tabs and newlines)
   *  cannot lead to another site. */
  function sameSite(next) {
    try {
      var url = new URL(next || "/", location.href);
      if (url.origin === location.origin) { return url.pathname + url.search + url.hash; }
    } catch (e) { /* not a URL */ }
    return "/";
  }
  function apply() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = texts[lang][el.dataset.i18n];
    });
    document.getElementById("lang-toggle").textContent = texts[lang].other;
  }
  document.getElementById("lang-toggle").addEventListener("click", function (ev) {
    ev.preventDefault();
    lang = lang === "vi" ? "en" : "vi";
    localStorage.setItem("telecom-gis-lang", lang);
    apply();
  });
  apply();
  document.getElementById("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var token = document.getElementById("token").value.trim();
    var error = document.getElementById("login-error");
    fetch("/session", { method: "POST", headers: { "Content-Type": "application/json" },
                        body: JSON.stringify({ token: token }), credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) {
          return resp.json().then(function (p) { throw new Error(p.detail || resp.status); });
        }
        return resp.json().then(function (me) {
          localStorage.setItem(TOKEN_KEY, token);
          // Whose token it is: the viewer files offline visits under this user.
          localStorage.setItem(USER_KEY, JSON.stringify({ username: me.username, role: me.role }));
          location.href = sameSite(new URLSearchParams(location.search).get("next"));
        });
      })
      .catch(function (err) { error.hidden = false; error.textContent = texts[lang].bad + err.message; });
  });
})();
