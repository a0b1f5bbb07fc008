"""The dashboard and the annual report in headless Chromium with no internet: every chart is a
Chart.js chart with data and ink on its canvas, the language switch relabels texts, numbers and
charts, and the annual report renders (and prints without its controls)."""

from __future__ import annotations

#: Per chart canvas: the Chart.js chart, its datasets with values, and the painted pixels.
CHARTS_JS = """() => Array.from(document.querySelectorAll("canvas[id^='chart-']")).map(canvas => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) inked++; }
  return {
    id: canvas.id,
    chart: Boolean(chart),
    datasets: chart ? chart.data.datasets.length : 0,
    values: chart ? chart.data.datasets.reduce(
      (n, d) => n + d.data.filter(v => v !== null && v !== undefined).length, 0) : 0,
    labels: chart ? chart.data.labels.length : 0,
    inked: inked,
    size: canvas.width * canvas.height,
  };
})"""


def _open_dashboard(page, url: str = "/dashboard"):
    page.goto(url)
    page.wait_for_function("() => window.telecomGisDashboard && "
                           "window.telecomGisDashboard.charts().length > 0")


def test_every_chart_is_drawn_from_local_assets(page, login, browser_context):
    login("quantri")
    _open_dashboard(page)
    charts = page.evaluate(CHARTS_JS)
    assert len(charts) == 11
    for chart in charts:
        assert chart["chart"] and chart["datasets"] >= 1, chart
        assert chart["values"] > 0 and chart["labels"] > 0, chart
        assert chart["inked"] > chart["size"] * 0.01, chart  # axes, bars and lines painted
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.evaluate("Chart.getChart('chart-network').data.datasets[0].label") == "Cáp ngầm"
    assert browser_context.traffic.console_errors == []


def test_the_language_switch_relabels_texts_numbers_and_charts(page, login):
    login("quantri")
    _open_dashboard(page, "/dashboard?year=2023")
    fines = page.locator("#table-penalties tbody tr").last.locator("td").last
    assert fines.inner_text() == "28.250.000"
    page.click("#lang-toggle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == (
        "Undergrounding, tidying and inspection of telecom cable")
    assert fines.inner_text() == "28,250,000"
    assert page.evaluate("Chart.getChart('chart-network').data.datasets[0].label") == "Underground"
    assert page.evaluate("localStorage.getItem('telecom-gis-lang')") == "en"
    assert len(page.evaluate(CHARTS_JS)) == 11  # redrawn, not lost
    page.reload()
    page.wait_for_function("() => window.telecomGisDashboard")
    assert page.locator("#lang-toggle").inner_text() == "Tiếng Việt"  # the choice is kept
    page.click("#lang-toggle")
    assert page.evaluate("Chart.getChart('chart-network').data.datasets[0].label") == "Cáp ngầm"


def test_an_operator_sees_its_own_operator_only(page, login):
    login("vnpt.baocao")
    _open_dashboard(page)
    assert page.evaluate("Chart.getChart('chart-operators').data.labels") == ["VNPT"]
    options = page.locator("#filter-operator option").all_inner_texts()
    assert options[1:] == ["VNPT – VNPT Thái Bình"]


def test_the_annual_report_renders_and_prints_without_controls(page, login):
    login("quantri")
    page.goto("/reports/annual/2023")
    summary = page.locator("#table-summary")
    assert "28.250.000" in summary.inner_text()
    assert page.locator("#table-campaigns tbody tr").count() == 10
    assert page.locator("a[href='/reports/annual/2023.xlsx']").count() == 1
    page.click("#lang-toggle")
    assert "Total fines (VND)" in summary.inner_text()
    page.emulate_media(media="print")
    assert not page.locator(".report-filters").is_visible()
    assert not page.locator(".report-header nav").is_visible()
    assert summary.is_visible()
