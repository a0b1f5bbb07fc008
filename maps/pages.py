"""HTML pages of the app (login, viewer, dashboard): Jinja2 templates in ``maps/templates`` that
load every script and style sheet from the app's own ``/static`` (no CDN: inspectors work where
the network is weak). ``maps/static/vendor`` holds the pinned third-party libraries
(``scripts/vendor-assets.sh``); ``maps/static/pages`` the pages' own JS and CSS."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

#: Directory served at :data:`STATIC_URL` by the API.
STATIC_DIR = Path(__file__).parent / "static"
#: URL path under which :data:`STATIC_DIR` is served.
STATIC_URL = "/static"


def static_url(path: str) -> str:
    """URL of a file under :data:`STATIC_DIR` (``"vendor/leaflet/leaflet.js"``); fails loudly
    when the file is missing, so a page never refers to an asset that is not there."""
    if not (STATIC_DIR / path).is_file():
        raise FileNotFoundError(f"no static asset {path!r} under {STATIC_DIR}")
    return f"{STATIC_URL}/{path}"


@lru_cache
def environment() -> Environment:
    """The page templates' Jinja2 environment (HTML autoescaped)."""
    env = Environment(loader=PackageLoader("maps", "templates"),
                      autoescape=select_autoescape(["html"]))
    env.globals["static"] = static_url
    return env


def render_page(template: str, **context: Any) -> str:
    """Render ``maps/templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)


#: The home page's links: (path, Vietnamese name, English name, what it is in vi, in en).
HOME_LINKS = (
    ("/viewer", "Bản đồ hiện trường", "Field viewer",
     "Kiểm tra tuyến cáp tại hiện trường, ghi kết quả, chụp ảnh (cả khi mất mạng).",
     "Inspect segments at the roadside, record visits and photos (works offline)."),
    ("/maps/progress", "Bản đồ tiến độ ngầm hóa", "Undergrounding progress map",
     "Cáp treo / cáp ngầm / đã chỉnh trang, tỷ lệ ngầm hóa theo xã so với kế hoạch.",
     "Overhead / underground / tidied cable; share underground by commune vs the plan."),
    ("/maps/compliance", "Bản đồ tuân thủ", "Compliance map",
     "Tình trạng tuân thủ QCVN 33:2019 của từng đoạn cáp; vi phạm đang mở và quá hạn.",
     "Compliance of each segment with QCVN 33:2019; open and overdue violations."),
    ("/dashboard", "Bảng điều khiển", "Dashboard",
     "Biểu đồ tiến độ, kiểm tra, vi phạm và xử phạt; báo cáo năm.",
     "Charts of progress, inspections, violations and penalties; the annual report."),
    ("/docs", "Tài liệu API", "API documentation",
     "Giao diện lập trình (OpenAPI) và xuất dữ liệu cho quy hoạch.",
     "The HTTP API (OpenAPI), including the planning exports."),
)


def home_page(full_name: str, role_label: str) -> str:
    """The signed-in home page listing the app's pages."""
    pages = [dict(href=href, vi=vi, en=en, about_vi=about_vi, about_en=about_en)
             for href, vi, en, about_vi, about_en in HOME_LINKS]
    return render_page("home.html", user={"full_name": full_name, "role_label": role_label},
                       pages=pages)
