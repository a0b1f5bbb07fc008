"""Operators and illustrative Vietnamese names used by the synthetic network.

The operators are the real ones active in Thái Bình (domain brief S27), plus the power company
that owns most poles. Street, road and ward names are ILLUSTRATIVE: many are real names in Thái
Bình city, but where the generator puts them bears no relation to where they really are.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.choices import OperatorKind


@dataclass(frozen=True)
class OperatorSpec:
    """One row of ``operators.csv``; ``weight`` is the operator's share of cable runs."""

    code: str
    name: str
    kind: OperatorKind
    weight: float = 0.0


OPERATORS: tuple[OperatorSpec, ...] = (
    OperatorSpec("VNPT", "VNPT Thái Bình", OperatorKind.TELECOM, 0.34),
    OperatorSpec("VIETTEL", "Viettel Thái Bình", OperatorKind.TELECOM, 0.32),
    OperatorSpec("FPT", "FPT Telecom Thái Bình", OperatorKind.TELECOM, 0.20),
    OperatorSpec("VTVCAB", "VTVcab", OperatorKind.CABLE_TV, 0.14),
    OperatorSpec("EVN", "Điện lực Thái Bình", OperatorKind.POWER),
)
#: Operators that run cable (EVN only owns poles here).
CABLE_OPERATORS: tuple[OperatorSpec, ...] = tuple(op for op in OPERATORS if op.weight > 0)
#: The power company: owner of most poles.
POLE_OWNER = "EVN"

#: Streets of the 2020 city plan (S28): tidied in spring 2020, later moved underground.
PLAN_2020_STREETS: tuple[str, ...] = ("Lý Thường Kiệt", "Võ Nguyên Giáp", "Quang Trung")

#: Street names (illustrative). The first ones go to the main avenues.
STREET_NAMES: tuple[str, ...] = PLAN_2020_STREETS + (
    "Trần Hưng Đạo", "Lê Lợi", "Hai Bà Trưng", "Kỳ Đồng", "Lý Bôn", "Trần Thái Tông",
    "Lê Quý Đôn", "Hùng Vương", "Phan Bá Vành", "Nguyễn Trãi", "Trần Lãm", "Lê Đại Hành",
    "Ngô Quyền", "Trần Phú", "Lê Thánh Tông", "Nguyễn Du", "Hoàng Diệu", "Phạm Ngũ Lão",
    "Bà Triệu", "Minh Khai", "Trần Nhân Tông", "Đinh Tiên Hoàng", "Lý Thái Tổ",
    "Nguyễn Thái Học", "Hoàng Văn Thụ", "Chu Văn An", "Tôn Đức Thắng", "Nguyễn Văn Cừ",
    "Lê Hồng Phong", "Phan Đình Phùng", "Trần Quang Khải", "Doãn Khuê", "Bùi Sĩ Tiêm",
    "Ngô Thì Nhậm", "Quách Đình Bảo", "Tô Hiệu", "Trần Khánh Dư", "Long Hưng",
    "Nguyễn Tông Quai", "Đặng Nghiễm", "Phạm Đôn Lễ", "Vũ Ngọc Phan", "Nguyễn Danh Đới",
    "Lê Văn Hưu", "Hoàng Công Chất", "Nguyễn Đức Cảnh", "Trần Thủ Độ", "Phạm Thế Hiển",
)
#: Numbered roads that leave the city (illustrative numbers).
ROAD_NAMES: tuple[str, ...] = (
    "Quốc lộ 10", "Quốc lộ 39", "ĐT.454", "ĐT.452", "ĐT.455", "ĐT.458", "ĐT.457", "ĐT.396",
)

#: Wards and communes of the city before 1/7/2025, centre first (illustrative).
OLD_CITY_UNITS: tuple[str, ...] = (
    "Phường Lê Hồng Phong", "Phường Bồ Xuyên", "Phường Đề Thám", "Phường Quang Trung",
    "Phường Kỳ Bá", "Phường Tiền Phong", "Phường Trần Hưng Đạo", "Phường Phú Khánh",
    "Phường Hoàng Diệu", "Phường Trần Lãm", "Xã Vũ Phúc", "Xã Đông Hòa", "Xã Phú Xuân",
    "Xã Vũ Chính", "Xã Tân Bình", "Xã Đông Mỹ", "Xã Đông Thọ", "Xã Vũ Lạc", "Xã Vũ Đông",
)
#: Merged wards from 1/7/2025, centre first (illustrative).
NEW_CITY_UNITS: tuple[str, ...] = (
    "Phường Thái Bình", "Phường Trần Hưng Đạo", "Phường Trần Lãm", "Phường Vũ Phúc",
    "Phường Trà Lý", "Phường Bồ Xuyên", "Phường Kỳ Bá", "Phường Đông Hòa",
)
#: Former districts (names real; the generated boundaries are not). The city comes first.
DISTRICTS: tuple[str, ...] = (
    "Thành phố Thái Bình", "Huyện Đông Hưng", "Huyện Hưng Hà", "Huyện Quỳnh Phụ",
    "Huyện Thái Thụy", "Huyện Tiền Hải", "Huyện Kiến Xương", "Huyện Vũ Thư",
)
#: Syllables that make illustrative commune names in large mode ("Xã An Hải" ...).
_FIRST = ("An", "Bình", "Đông", "Hòa", "Minh", "Nam", "Phú", "Quang", "Tân", "Thanh",
          "Thái", "Vũ", "Hồng", "Đình", "Quỳnh", "Tây", "Bắc", "Thụy", "Song", "Đại")
_SECOND = ("Hải", "Hòa", "Hưng", "Lạc", "Lộc", "Mỹ", "Ninh", "Phong", "Phúc", "Sơn",
           "Thịnh", "Thọ", "Tiến", "Trung", "Xuân", "Lâm", "Bình", "Châu", "Dương", "Long")


def commune_names(count: int, prefix: str = "Xã") -> list[str]:
    """``count`` distinct illustrative commune names, in a fixed order."""
    names = [f"{prefix} {a} {b}" for b in _SECOND for a in _FIRST if a != b]
    if count > len(names):
        names += [f"{prefix} số {i}" for i in range(1, count - len(names) + 1)]
    return names[:count]


def street_name(rank: int) -> str:
    """Name of the ``rank``-th street: illustrative names first, then numbered streets."""
    if rank < len(STREET_NAMES):
        return STREET_NAMES[rank]
    return f"Đường số {rank - len(STREET_NAMES) + 1}"


def road_name(rank: int) -> str:
    """Name of the ``rank``-th road leaving the city."""
    return ROAD_NAMES[rank] if rank < len(ROAD_NAMES) else f"ĐH.{rank - len(ROAD_NAMES) + 1:02d}"
