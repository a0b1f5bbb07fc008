"""The annual report as an .xlsx workbook (openpyxl).

One sheet per section, the summary ("Tổng hợp") first. Each sheet has a bold Vietnamese header
row with the English header in the row below it; data start on row 3 and are real numbers and
dates (VND with thousands separators, km to the metre, i.e. 3 decimals). Lengths are km of the
stored geodesic ``length_m``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gis.choices import label
from gis.reports.annual import AnnualReport

VND = "#,##0"
COUNT = "#,##0"
KM = "#,##0.000"
DAY = "dd/mm/yyyy"
TEXT = "@"

_BOLD = Font(bold=True)
_ENGLISH = Font(bold=True, italic=True, color="555555")


@dataclass(frozen=True)
class Column:
    """A column: Vietnamese and English headers, number format, width (characters) and how a
    row gives its value."""

    vi: str
    en: str
    fmt: str
    width: int
    value: Callable[[Any], Any]


def _cell(value: Any) -> Any:
    """``value``, with the control characters a worksheet cannot hold (U+0000-U+001F but tab,
    line feed and carriage return) replaced by U+FFFD: stored text may carry them (an API
    client's plan name, an imported route name), and the report must still be written."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _sheet(book: Workbook, title: str, columns: Sequence[Column], rows: Sequence[Any],
           total: dict[int, Any] | None = None) -> Worksheet:
    """Add a sheet: two header rows, one row per item of ``rows``, and an optional total row
    (column index -> value; column 0 gets the label)."""
    sheet = book.create_sheet(title)
    sheet.append([c.vi for c in columns])
    sheet.append([c.en for c in columns])
    for cell in sheet[1]:
        cell.font = _BOLD
    for cell in sheet[2]:
        cell.font = _ENGLISH
    for row in rows:
        sheet.append([_cell(c.value(row)) for c in columns])
    if total is not None:
        values: list[Any] = [None] * len(columns)
        values[0] = "Tổng cộng / Total"
        for index, value in total.items():
            values[index] = value
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            cell.font = _BOLD
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
        for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
            cell.number_format = column.fmt
    sheet.freeze_panes = "A3"
    return sheet


def _summary_rows(report: AnnualReport) -> list[tuple[str, str, Any, str, str]]:
    """(Vietnamese, English, value, unit, number format) of the summary sheet."""
    return [
        ("Năm báo cáo", "Report year", report.year, "", "0"),
        ("Số liệu đến ngày", "Figures as of", report.as_of, "", DAY),
        ("Doanh nghiệp", "Operator", report.operator or "Tất cả / All", "", TEXT),
        ("Xã/phường", "Commune", report.commune_name or report.commune or "Tất cả / All", "",
         TEXT),
        ("Số cuộc kiểm tra", "Campaigns held", len(report.campaigns), "", COUNT),
        ("Số lượt kiểm tra", "Visits", report.visits, "", COUNT),
        ("Số đoạn cáp được kiểm tra", "Segments checked", report.segments_checked, "", COUNT),
        ("Chiều dài cáp được kiểm tra", "Length of cable checked", report.km_checked, "km", KM),
        ("Vi phạm phát hiện", "Violations found", report.violations_found, "", COUNT),
        ("Vi phạm đã khắc phục (đã đóng)", "Violations closed", report.violations_closed, "",
         COUNT),
        ("Số quyết định xử phạt", "Penalty decisions", report.penalty_decisions, "", COUNT),
        ("Tổng tiền phạt", "Total fines", report.penalty_total_vnd, "VND", VND),
        ("Cáp hạ ngầm trong năm", "Cable undergrounded in the year", report.km_undergrounded,
         "km", KM),
        ("Cáp treo chỉnh trang trong năm", "Overhead cable tidied in the year",
         report.km_tidied, "km", KM),
        ("Chỉ tiêu kế hoạch ngầm hóa", "Undergrounding plan target", report.plan_target_km,
         "km", KM),
        ("Kế hoạch: đã hạ ngầm", "Plans: achieved", report.plan_achieved_km, "km", KM),
    ]


def _summary(book: Workbook, report: AnnualReport) -> None:
    rows = _summary_rows(report)
    sheet = _sheet(book, "Tổng hợp", [
        Column("Chỉ tiêu", "Indicator (Vietnamese)", TEXT, 34, lambda r: r[0]),
        Column("Chỉ tiêu (tiếng Anh)", "Indicator", TEXT, 34, lambda r: r[1]),
        Column("Giá trị", "Value", "General", 20, lambda r: r[2]),
        Column("Đơn vị", "Unit", TEXT, 8, lambda r: r[3]),
    ], rows)
    for index, row in enumerate(rows, start=3):
        sheet.cell(index, 3).number_format = row[4]


def _join(values: Sequence[str]) -> str:
    return ", ".join(values)


def annual_workbook(report: AnnualReport) -> bytes:
    """The workbook of ``report`` as .xlsx bytes: summary, campaigns, violations by severity
    and by item, penalty decisions, changes by operator and by commune, plans."""
    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"Báo cáo năm {report.year} / Annual report {report.year}"
    book.properties.creator = "telecom-gis"
    _summary(book, report)
    _sheet(book, "Cuộc kiểm tra", [
        Column("Mã", "Code", TEXT, 12, lambda r: r.code),
        Column("Tên cuộc kiểm tra", "Campaign", TEXT, 50, lambda r: r.name),
        Column("Từ ngày", "From", DAY, 12, lambda r: r.starts_on),
        Column("Đến ngày", "To", DAY, 12, lambda r: r.ends_on),
        Column("Xã/phường", "Communes", TEXT, 36, lambda r: _join(r.communes) or "Tất cả / All"),
        Column("Doanh nghiệp", "Operators", TEXT, 28,
               lambda r: _join(r.operators) or "Tất cả / All"),
        Column("Lượt kiểm tra", "Visits", COUNT, 12, lambda r: r.visits),
        Column("Đoạn cáp", "Segments", COUNT, 10, lambda r: r.segments),
        Column("Vi phạm phát hiện", "Violations found", COUNT, 16,
               lambda r: r.violations_found),
    ], report.campaigns, total={6: report.visits, 8: sum(c.violations_found
                                                        for c in report.campaigns)})
    _sheet(book, "Vi phạm theo mức độ", [
        Column("Mức độ", "Severity (Vietnamese)", TEXT, 24, lambda r: label(r.severity, "vi")),
        Column("Mức độ (tiếng Anh)", "Severity", TEXT, 18, lambda r: label(r.severity, "en")),
        Column("Phát hiện", "Found", COUNT, 12, lambda r: r.found),
        Column("Đã khắc phục", "Closed", COUNT, 14, lambda r: r.closed),
    ], report.by_severity, total={2: report.violations_found, 3: report.violations_closed})
    _sheet(book, "Vi phạm theo hạng mục", [
        Column("Mã", "Code", TEXT, 6, lambda r: r.code),
        Column("Hạng mục kiểm tra", "Checklist item (Vietnamese)", TEXT, 60, lambda r: r.text_vi),
        Column("Hạng mục (tiếng Anh)", "Checklist item", TEXT, 60, lambda r: r.text_en),
        Column("Mức độ", "Severity", TEXT, 22, lambda r: label(r.severity, "vi")),
        Column("Phát hiện", "Found", COUNT, 10, lambda r: r.found),
        Column("Đã khắc phục", "Closed", COUNT, 13, lambda r: r.closed),
    ], report.by_item, total={4: report.violations_found, 5: report.violations_closed})
    _sheet(book, "Xử phạt", [
        Column("Số quyết định", "Decision number", TEXT, 18, lambda r: r.number),
        Column("Ngày", "Date", DAY, 12, lambda r: r.decided_on),
        Column("Doanh nghiệp", "Operator", TEXT, 12, lambda r: r.operator),
        Column("Nghị định", "Decree", TEXT, 40, lambda r: r.decree),
        Column("Điều", "Article", TEXT, 10, lambda r: r.article),
        Column("Khoản", "Clause", TEXT, 10, lambda r: r.clause or ""),
        Column("Số vi phạm", "Violations cited", COUNT, 12, lambda r: r.violations),
        Column("Số tiền (VND)", "Amount (VND)", VND, 16, lambda r: r.amount_vnd),
    ], report.penalties, total={7: report.penalty_total_vnd})
    change_columns = [
        Column("Hạ ngầm (km)", "Undergrounded (km)", KM, 16, lambda r: r.undergrounded_km),
        Column("Hạ ngầm (đoạn)", "Undergrounded (segments)", COUNT, 16,
               lambda r: r.undergrounded_segments),
        Column("Chỉnh trang (km)", "Tidied (km)", KM, 16, lambda r: r.tidied_km),
        Column("Chỉnh trang (đoạn)", "Tidied (segments)", COUNT, 16, lambda r: r.tidied_segments),
    ]
    change_total = {2: report.km_undergrounded, 3: report.segments_undergrounded,
                    4: report.km_tidied, 5: report.segments_tidied}
    _sheet(book, "Theo doanh nghiệp", [
        Column("Mã", "Code", TEXT, 10, lambda r: r.code),
        Column("Doanh nghiệp", "Operator", TEXT, 28, lambda r: r.name),
        *change_columns,
    ], report.by_operator, total=change_total)
    _sheet(book, "Theo xã phường", [
        Column("Mã", "Code", TEXT, 8, lambda r: r.code or ""),
        Column("Xã/phường", "Commune", TEXT, 28, lambda r: r.name or "Ngoài xã / No commune"),
        *change_columns,
    ], report.by_commune, total=change_total)
    _sheet(book, "Kế hoạch", [
        Column("Kế hoạch", "Plan", TEXT, 40, lambda r: r.name),
        Column("Xã/phường", "Commune", TEXT, 22, lambda r: r.commune_name or ""),
        Column("Doanh nghiệp", "Operator", TEXT, 12, lambda r: r.operator or ""),
        Column("Số tuyến", "Routes", COUNT, 9, lambda r: r.routes),
        Column("Chỉ tiêu (km)", "Target (km)", KM, 13, lambda r: r.target_km),
        Column("Phạm vi (km)", "Scope (km)", KM, 13, lambda r: r.scope_km),
        Column("Đã ngầm (km)", "Underground (km)", KM, 14, lambda r: r.underground_km),
        Column("Đạt trong năm (km)", "Achieved in the year (km)", KM, 18,
               lambda r: r.achieved_km),
    ], report.plans, total={4: report.plan_target_km, 7: report.plan_achieved_km})
    out = BytesIO()
    book.save(out)
    return out.getvalue()
