"""The network's vocabulary: every status value with its Vietnamese and English label and colour.

This is the one place for these rules: the database check constraints, the importers, the API's
enums and the maps' styles all read from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Choice:
    """A value's labels (Vietnamese, English) and its map colour (CSS hex)."""

    vi: str
    en: str
    colour: str


class Placement(StrEnum):
    """Where a segment runs: on poles, or below ground."""

    OVERHEAD = "overhead"
    UNDERGROUND = "underground"


class PlacementKind(StrEnum):
    """The finer kind of placement, after the sections of QCVN 33:2019/BTTTT (2.1-2.4)."""

    AERIAL = "aerial"  # 2.1 cáp treo
    DUCT = "duct"  # 2.2 cống bể
    DIRECT_BURIED = "direct_buried"  # 2.3 chôn trực tiếp
    TUNNEL = "tunnel"  # 2.4 đường hầm


class Lifecycle(StrEnum):
    """Whether a segment is planned, in service, or gone."""

    PLANNED = "planned"
    ACTIVE = "active"
    REMOVED = "removed"


class RouteTier(StrEnum):
    """Cable tier as provinces report it: gốc / trung gian / ngọn."""

    TRUNK = "trunk"
    INTERMEDIATE = "intermediate"
    DROP = "drop"


class StructureKind(StrEnum):
    """Point structures that carry or house cable."""

    POLE = "pole"
    MANHOLE = "manhole"
    CABINET = "cabinet"


class AdminLevel(StrEnum):
    """Administrative levels. Districts were abolished on 1/7/2025 but stay as history."""

    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class OperatorKind(StrEnum):
    """What kind of organisation owns cable or structures."""

    TELECOM = "telecom"
    CABLE_TV = "cable_tv"
    POWER = "power"
    OTHER = "other"


class Role(StrEnum):
    """What a user may do. Operators see only their own network and violations."""

    ADMIN = "admin"
    INSPECTOR = "inspector"
    PLANNER = "planner"
    OPERATOR = "operator"


class ItemResult(StrEnum):
    """The result of one checklist item at one visit."""

    PASS = "pass"
    FAIL = "fail"
    NOT_CHECKED = "not_checked"


class Severity(StrEnum):
    """How serious a failed checklist item is."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class ViolationState(StrEnum):
    """Where a violation is in its lifecycle. "Overdue" is not stored: it is derived from the
    due date (see :mod:`gis.compliance.rules`)."""

    OPEN = "open"
    REMEDIATION_REPORTED = "remediation_reported"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class ComplianceState(StrEnum):
    """A segment's compliance at a date (rules in :mod:`gis.compliance.rules`)."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    OVERDUE = "overdue"
    NOT_INSPECTED = "not_inspected"
    STALE = "stale"


class ReportStatus(StrEnum):
    """An operator's placement-change report, before and after an inspector decides."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class PlacementClass(StrEnum):
    """What the progress maps and dashboards colour a segment by: overhead cable not yet tidied,
    overhead cable tidied (chỉnh trang, bó gọn), or underground (tidiness does not apply)."""

    OVERHEAD_UNTIDIED = "overhead_untidied"
    OVERHEAD_TIDIED = "overhead_tidied"
    UNDERGROUND = "underground"


LABELS: dict[StrEnum, Choice] = {
    Placement.OVERHEAD: Choice("Cáp treo", "Overhead", "#d7301f"),
    Placement.UNDERGROUND: Choice("Cáp ngầm", "Underground", "#2b8cbe"),
    PlacementKind.AERIAL: Choice("Treo trên cột", "Aerial", "#d7301f"),
    PlacementKind.DUCT: Choice("Cống bể", "Duct and manhole", "#2b8cbe"),
    PlacementKind.DIRECT_BURIED: Choice("Chôn trực tiếp", "Direct-buried", "#045a8d"),
    PlacementKind.TUNNEL: Choice("Đường hầm", "Tunnel", "#016c59"),
    Lifecycle.PLANNED: Choice("Quy hoạch", "Planned", "#9e9ac8"),
    Lifecycle.ACTIVE: Choice("Đang khai thác", "Active", "#31a354"),
    Lifecycle.REMOVED: Choice("Đã thu hồi", "Removed", "#969696"),
    RouteTier.TRUNK: Choice("Cáp gốc", "Trunk", "#54278f"),
    RouteTier.INTERMEDIATE: Choice("Cáp trung gian", "Intermediate", "#756bb1"),
    RouteTier.DROP: Choice("Cáp ngọn", "Drop", "#9e9ac8"),
    StructureKind.POLE: Choice("Cột", "Pole", "#636363"),
    StructureKind.MANHOLE: Choice("Hố ga (bể cáp)", "Manhole", "#2b8cbe"),
    StructureKind.CABINET: Choice("Tủ cáp", "Cabinet", "#e6550d"),
    AdminLevel.PROVINCE: Choice("Tỉnh", "Province", "#000000"),
    AdminLevel.DISTRICT: Choice("Huyện", "District", "#525252"),
    AdminLevel.COMMUNE: Choice("Xã/phường", "Commune", "#737373"),
    OperatorKind.TELECOM: Choice("Doanh nghiệp viễn thông", "Telecom operator", "#3182bd"),
    OperatorKind.CABLE_TV: Choice("Truyền hình cáp", "Cable TV", "#6baed6"),
    OperatorKind.POWER: Choice("Điện lực", "Power company", "#fd8d3c"),
    OperatorKind.OTHER: Choice("Khác", "Other", "#bdbdbd"),
    Role.ADMIN: Choice("Quản trị", "Administrator", "#252525"),
    Role.INSPECTOR: Choice("Thanh tra viên", "Inspector", "#3182bd"),
    Role.PLANNER: Choice("Cán bộ quy hoạch", "Planner", "#756bb1"),
    Role.OPERATOR: Choice("Doanh nghiệp", "Operator", "#e6550d"),
    ItemResult.PASS: Choice("Đạt", "Pass", "#31a354"),
    ItemResult.FAIL: Choice("Không đạt", "Fail", "#de2d26"),
    ItemResult.NOT_CHECKED: Choice("Chưa kiểm tra", "Not checked", "#969696"),
    Severity.MINOR: Choice("Nhẹ", "Minor", "#fdae6b"),
    Severity.MAJOR: Choice("Nghiêm trọng", "Major", "#e6550d"),
    Severity.CRITICAL: Choice("Đặc biệt nghiêm trọng", "Critical", "#a63603"),
    ViolationState.OPEN: Choice("Đang mở", "Open", "#de2d26"),
    ViolationState.REMEDIATION_REPORTED: Choice(
        "Đã báo cáo khắc phục", "Remediation reported", "#fd8d3c"
    ),
    ViolationState.CLOSED: Choice("Đã xác minh khắc phục", "Verified closed", "#31a354"),
    ViolationState.WITHDRAWN: Choice("Hủy do đính chính", "Withdrawn by correction", "#969696"),
    ComplianceState.COMPLIANT: Choice("Đạt yêu cầu", "Compliant", "#31a354"),
    ComplianceState.NON_COMPLIANT: Choice("Vi phạm", "Non-compliant", "#fd8d3c"),
    ComplianceState.OVERDUE: Choice("Quá hạn khắc phục", "Overdue", "#a50f15"),
    ComplianceState.NOT_INSPECTED: Choice("Chưa kiểm tra", "Not inspected", "#bdbdbd"),
    ComplianceState.STALE: Choice("Kiểm tra đã cũ", "Inspection stale", "#9e9ac8"),
    ReportStatus.PENDING: Choice("Chờ xác nhận", "Pending", "#fdae6b"),
    ReportStatus.CONFIRMED: Choice("Đã xác nhận", "Confirmed", "#31a354"),
    ReportStatus.REJECTED: Choice("Không xác nhận", "Rejected", "#de2d26"),
    PlacementClass.OVERHEAD_UNTIDIED: Choice(
        "Cáp treo chưa chỉnh trang", "Overhead, not tidied", "#d7301f"),
    PlacementClass.OVERHEAD_TIDIED: Choice(
        "Cáp treo đã chỉnh trang", "Overhead, tidied", "#fd8d3c"),
    # Equal to Placement.UNDERGROUND as a string, hence one and the same LABELS entry: the
    # two must keep the same labels and colour.
    PlacementClass.UNDERGROUND: Choice("Cáp ngầm", "Underground", "#2b8cbe"),
}

#: Which finer kinds belong to which placement (enforced by a check constraint too).
KINDS_BY_PLACEMENT: dict[Placement, tuple[PlacementKind, ...]] = {
    Placement.OVERHEAD: (PlacementKind.AERIAL,),
    Placement.UNDERGROUND: (PlacementKind.DUCT, PlacementKind.DIRECT_BURIED, PlacementKind.TUNNEL),
}

#: The kind assumed when a source gives only the placement.
DEFAULT_KIND: dict[Placement, PlacementKind] = {
    Placement.OVERHEAD: PlacementKind.AERIAL,
    Placement.UNDERGROUND: PlacementKind.DUCT,
}


def label(value: StrEnum, lang: str = "vi") -> str:
    """Return the label of ``value`` in ``lang`` ('vi' or 'en')."""
    choice = LABELS[value]
    return choice.vi if lang == "vi" else choice.en


def colour(value: StrEnum) -> str:
    """Return the map colour (CSS hex) of ``value``."""
    return LABELS[value].colour


def sql_in(enum: type[StrEnum]) -> str:
    """Return ``('a', 'b')`` for a CHECK constraint listing the enum's values."""
    return "(" + ", ".join(f"'{member.value}'" for member in enum) + ")"


def placement_class(placement: Placement | str, tidied: bool) -> PlacementClass:
    """The map class of a segment state: underground, or overhead tidied / not tidied."""
    if Placement(placement) == Placement.UNDERGROUND:
        return PlacementClass.UNDERGROUND
    return PlacementClass.OVERHEAD_TIDIED if tidied else PlacementClass.OVERHEAD_UNTIDIED
