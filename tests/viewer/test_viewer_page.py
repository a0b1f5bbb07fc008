"""maps.viewer_page without HTTP: the shell's version follows the content of its files, and the
vocabulary is gis.choices' labels and colours in each enum's order."""

from __future__ import annotations

import shutil

import pytest

from gis.choices import LABELS, Severity
from maps import viewer_page


@pytest.fixture
def shell_copy(tmp_path, monkeypatch):
    """The static files and templates copied to a temporary directory the module reads."""
    static = tmp_path / "static"
    templates = tmp_path / "templates"
    shutil.copytree(viewer_page.STATIC_DIR / "pages", static / "pages")
    for library in ("leaflet", "leaflet.vectorgrid"):
        shutil.copytree(viewer_page.STATIC_DIR / "vendor" / library, static / "vendor" / library)
    shutil.copytree(viewer_page.TEMPLATE_DIR, templates)
    monkeypatch.setattr(viewer_page, "STATIC_DIR", static)
    monkeypatch.setattr(viewer_page, "TEMPLATE_DIR", templates)
    viewer_page.shell_version.cache_clear()
    viewer_page.service_worker_js.cache_clear()
    yield static, templates
    viewer_page.shell_version.cache_clear()
    viewer_page.service_worker_js.cache_clear()


@pytest.mark.parametrize("changed", ["pages/viewer-queue.js", "pages/viewer.css",
                                     "pages/viewer-sw.js", "templates/viewer.html"])
def test_the_shell_version_changes_with_any_shell_file(shell_copy, changed):
    static, templates = shell_copy
    before = viewer_page.shell_version()
    worker_before = viewer_page.service_worker_js()
    folder, name = changed.split("/", 1)
    path = templates / name if folder == "templates" else static / changed
    path.write_text(path.read_text("utf-8") + "\n/* changed */\n", "utf-8")
    viewer_page.shell_version.cache_clear()
    viewer_page.service_worker_js.cache_clear()
    after = viewer_page.shell_version()
    assert after != before
    assert viewer_page.service_worker_js() != worker_before
    assert f"?v={after}" in viewer_page.shell_urls()[1]


def test_the_vocabulary_is_gis_choices_in_enum_order():
    vocabulary = viewer_page.vocabulary()
    assert set(vocabulary) == set(viewer_page.VOCABULARIES)
    assert vocabulary["severity"] == [
        {"value": s.value, "vi": LABELS[s].vi, "en": LABELS[s].en, "colour": LABELS[s].colour}
        for s in Severity]
