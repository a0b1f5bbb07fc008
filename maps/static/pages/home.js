// Home page: the Vietnamese/English switch (texts are in data-vi / data-en attributes).
(function () {
  "use strict";
  var lang = localStorage.getItem("telecom-gis-lang") || "vi";
  function apply() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-vi]").forEach(function (el) {
      el.textContent = el.dataset[lang];
    });
    document.getElementById("lang-toggle").textContent = lang === "vi" ? "English" : "Tiếng Việt";
  }
  document.getElementById("lang-toggle").addEventListener("click", function (ev) {
    ev.preventDefault();
    lang = lang === "vi" ? "en" : "vi";
    localStorage.setItem("telecom-gis-lang", lang);
    apply();
  });
  apply();
})();
