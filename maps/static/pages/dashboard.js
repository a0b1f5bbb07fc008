// Dashboard and annual report pages: the Vietnamese/English switch (texts in data-vi /
// data-en, numbers in data-num), printing, and on the dashboard the Chart.js charts, drawn
// from the figures the page embeds (the JSON of /dashboard/data) and the vocabulary of
// gis/choices.py (labels and colours of states).
(function () {
  "use strict";
  var LANG_KEY = "telecom-gis-lang";
  var LOCALES = { vi: "vi-VN", en: "en-GB" };
  var TEXT = {
    vi: { other: "English", planLevel: "Mức ngầm theo kế hoạch", target: "Chỉ tiêu kế hoạch",
          achieved: "Đạt trong năm", visits: "Lượt kiểm tra", segments: "Đoạn cáp được kiểm tra",
          rate: "Tỷ lệ tuân thủ", unresolved: "Chưa khắc phục", decisions: "Quyết định xử phạt",
          fines: "Tiền phạt (VND)", others: "Các xã/phường khác", noCommune: "Ngoài xã/phường",
          km: "km", tidiedShare: "Tỷ lệ cáp treo đã chỉnh trang",
          undergroundShare: "Tỷ lệ cáp ngầm" },
    en: { other: "Tiếng Việt", planLevel: "Planned underground level", target: "Plan target",
          achieved: "Achieved in the year", visits: "Visits", segments: "Segments visited",
          rate: "Compliance rate", unresolved: "Unresolved", decisions: "Penalty decisions",
          fines: "Fines (VND)", others: "Other communes", noCommune: "In no commune",
          km: "km", tidiedShare: "Share of overhead tidied",
          undergroundShare: "Share underground" }
  };
  // Operators and communes are data, not states: they take these colours in turn.
  var PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666", "#1f78b4", "#b15928"];
  var lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "vi";
  var charts = [];

  function fmt(value, digits, most) {
    return new Intl.NumberFormat(LOCALES[lang], { minimumFractionDigits: digits || 0,
                                                  maximumFractionDigits: most || digits || 0 })
      .format(value);
  }

  function applyTexts() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-vi]").forEach(function (el) {
      el.textContent = el.dataset[lang];
    });
    document.querySelectorAll("[data-num]").forEach(function (el) {
      el.textContent = fmt(Number(el.dataset.num), Number(el.dataset.digits)) +
        (el.dataset.unit || "");
    });
    var toggle = document.getElementById("lang-toggle");
    if (toggle) { toggle.textContent = TEXT[lang].other; }
  }

  // ------------------------------------------------------------------ charts

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var data = readJson("dashboard-data");
  var vocab = readJson("dashboard-vocabulary");

  function label(group, value) { return vocab[group][value][lang]; }
  function colour(group, value) { return vocab[group][value].colour; }
  function t(key) { return TEXT[lang][key]; }

  function dayLabel(iso) { return iso.slice(8, 10) + "/" + iso.slice(5, 7); }
  function yearLabel(iso) {
    return iso.slice(5) === "12-31" ? iso.slice(0, 4) : iso.slice(0, 4) + " (" + dayLabel(iso) + ")";
  }
  function monthLabel(iso) { return iso.slice(5, 7) + "/" + iso.slice(0, 4); }
  function pct(share) { return share === null ? null : Math.round(share * 1000) / 10; }

  function line(name, values, colourValue, extra) {
    return Object.assign({ type: "line", label: name, data: values, borderColor: colourValue,
                           backgroundColor: colourValue, pointRadius: 2, borderWidth: 2,
                           tension: 0 }, extra || {});
  }
  function bar(name, values, colourValue, extra) {
    return Object.assign({ type: "bar", label: name, data: values, borderColor: colourValue,
                           backgroundColor: colourValue }, extra || {});
  }

  function axis(title, extra) {
    return Object.assign({ beginAtZero: true, title: { display: Boolean(title), text: title },
                           ticks: { callback: function (v) { return fmt(v, 0, 2); } } }, extra || {});
  }

  function draw(id, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    var chart = new Chart(canvas, {
      data: { labels: labels, datasets: datasets },
      options: Object.assign({
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" },
                   tooltip: { callbacks: { label: function (ctx) {
                     var v = ctx.parsed.y;
                     return ctx.dataset.label + ": " + (v === null ? "–" : fmt(v, ctx.dataset.digits || 0));
                   } } } },
        scales: { y: axis(t("km")) }
      }, options || {})
    });
    charts.push(chart);
  }

  function placementDatasets(points, extra) {
    return [
      line(label("placement", "underground"), points.map(function (p) { return p.underground_km; }),
           colour("placement_class", "underground"), Object.assign({ digits: 3 }, extra)),
      line(label("placement", "overhead"), points.map(function (p) { return p.overhead_km; }),
           colour("placement", "overhead"), Object.assign({ digits: 3 }, extra)),
      line(label("placement_class", "overhead_tidied"),
           points.map(function (p) { return p.overhead_tidied_km; }),
           colour("placement_class", "overhead_tidied"),
           Object.assign({ digits: 3, borderDash: [4, 3] }, extra))
    ];
  }

  function stackedByClass(groups) {
    var last = groups.map(function (g) { return g.years[g.years.length - 1]; });
    return [
      bar(label("placement_class", "underground"), last.map(function (p) { return p.underground_km; }),
          colour("placement_class", "underground"), { digits: 3 }),
      bar(label("placement_class", "overhead_tidied"),
          last.map(function (p) { return p.overhead_tidied_km; }),
          colour("placement_class", "overhead_tidied"), { digits: 3 }),
      bar(label("placement_class", "overhead_untidied"),
          last.map(function (p) { return Math.round((p.overhead_km - p.overhead_tidied_km) * 1000) / 1000; }),
          colour("placement_class", "overhead_untidied"), { digits: 3 })
    ];
  }

  function topCommunes(series, count) {
    var sorted = series.slice().sort(function (a, b) {
      return b.years[b.years.length - 1].total_km - a.years[a.years.length - 1].total_km;
    });
    var top = sorted.slice(0, count);
    var rest = sorted.slice(count);
    if (rest.length) {
      var sum = { underground_km: 0, overhead_km: 0, overhead_tidied_km: 0, total_km: 0 };
      rest.forEach(function (s) {
        var p = s.years[s.years.length - 1];
        Object.keys(sum).forEach(function (k) { sum[k] += p[k]; });
      });
      top.push({ code: "others", name: t("others"), years: [sum] });
    }
    return top;
  }

  function communeName(s) {
    if (s.code === "others") { return s.name; }
    return s.code ? s.name : t("noCommune");
  }

  function drawAll() {
    var net = data.network;
    var years = net.total.years;
    var yearLabels = years.map(function (p) { return yearLabel(p.on); });
    var monthLabels = net.total.months.map(function (p) { return monthLabel(p.on); });
    var stacked = { scales: { x: { stacked: true }, y: axis(t("km"), { stacked: true }) } };

    var network = placementDatasets(years);
    var levels = {};
    data.plan_years.forEach(function (p) { levels[p.year] = p.target_level_km; });
    var planLine = years.map(function (p) {
      var level = levels[Number(p.on.slice(0, 4))];
      return level === undefined ? null : level;
    });
    if (planLine.some(function (v) { return v !== null; })) {
      network.push(line(t("planLevel"), planLine, "#252525",
                        { borderDash: [8, 4], pointRadius: 5, pointStyle: "rectRot", spanGaps: true,
                          digits: 3 }));
    }
    draw("chart-network", yearLabels, network);
    draw("chart-network-months", monthLabels, placementDatasets(net.total.months));

    draw("chart-operators", net.by_operator.map(function (s) { return s.code; }),
         stackedByClass(net.by_operator), stacked);
    draw("chart-operators-share", yearLabels, net.by_operator.map(function (s, i) {
      return line(s.code, s.years.map(function (p) { return pct(p.underground_share); }),
                  PALETTE[i % PALETTE.length], { digits: 1 });
    }), { scales: { y: axis("%", { max: 100 }) } });

    var canvas = document.getElementById("chart-communes");
    var communes = topCommunes(net.by_commune, Number(canvas ? canvas.dataset.top : 8) || 8);
    draw("chart-communes", communes.map(communeName), stackedByClass(communes),
         Object.assign({ indexAxis: "y" },
                       { scales: { y: { stacked: true }, x: axis(t("km"), { stacked: true }) } }));

    draw("chart-tidied", yearLabels, [
      line(t("tidiedShare"), years.map(function (p) { return pct(p.tidied_share); }),
           colour("placement_class", "overhead_tidied"), { digits: 1 }),
      line(t("undergroundShare"), years.map(function (p) { return pct(p.underground_share); }),
           colour("placement_class", "underground"), { digits: 1 })
    ], { scales: { y: axis("%", { max: 100 }) } });

    draw("chart-plans", data.plan_years.map(function (p) { return String(p.year); }), [
      bar(t("target"), data.plan_years.map(function (p) { return p.target_km; }), "#9e9ac8",
          { digits: 3 }),
      bar(t("achieved"), data.plan_years.map(function (p) { return p.achieved_km; }),
          colour("placement_class", "underground"), { digits: 3 })
    ]);

    var visitLabels = data.visits.map(function (v) { return monthLabel(v.month); });
    draw("chart-visits", visitLabels, [
      bar(t("visits"), data.visits.map(function (v) { return v.visits; }), "#3182bd"),
      line(t("segments"), data.visits.map(function (v) { return v.segments; }), "#08306b")
    ], { scales: { y: axis("") } });

    var compLabels = data.compliance.map(function (c) { return monthLabel(c.on); });
    draw("chart-compliance", compLabels, [
      line(t("rate"), data.compliance.map(function (c) { return pct(c.rate); }),
           colour("compliance", "compliant"), { digits: 1 })
    ], { scales: { y: axis("%", { max: 100 }) } });

    draw("chart-violations", data.violations.map(function (v) { return monthLabel(v.on); }), [
      line(t("unresolved"), data.violations.map(function (v) { return v.unresolved; }),
           colour("violation_state", "open")),
      line(label("violation_state", "remediation_reported"),
           data.violations.map(function (v) { return v.remediation_reported; }),
           colour("violation_state", "remediation_reported"), { borderDash: [4, 3] }),
      line(label("compliance", "overdue"), data.violations.map(function (v) { return v.overdue; }),
           colour("compliance", "overdue"))
    ], { scales: { y: axis("") } });

    var penalties = data.penalties_by_year;
    draw("chart-penalties", penalties.map(function (p) { return p.start.slice(0, 4); }), [
      bar(t("decisions"), penalties.map(function (p) { return p.decisions; }), "#756bb1",
          { yAxisID: "y" }),
      line(t("fines"), penalties.map(function (p) { return p.amount_vnd; }), "#a63603",
           { yAxisID: "y1" })
    ], { scales: { y: axis(t("decisions"), { ticks: { precision: 0 } }),
                   y1: axis("VND", { position: "right", grid: { drawOnChartArea: false } }) } });
  }

  function redraw() {
    if (!data || typeof Chart === "undefined") { return; }
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    drawAll();
  }

  // ------------------------------------------------------------------ wiring

  var toggle = document.getElementById("lang-toggle");
  if (toggle) {
    toggle.addEventListener("click", function (ev) {
      ev.preventDefault();
      lang = lang === "vi" ? "en" : "vi";
      localStorage.setItem(LANG_KEY, lang);
      applyTexts();
      redraw();
    });
  }
  var printLink = document.getElementById("print-page");
  if (printLink) {
    printLink.addEventListener("click", function (ev) { ev.preventDefault(); window.print(); });
  }
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (c) { c.resize(); });
  });
  applyTexts();
  redraw();
  window.telecomGisDashboard = { charts: function () { return charts.slice(); },
                                 language: function () { return lang; } };
})();
