"""Administrative units as data (SPEC §8): the 2025 communes of the merged Quảng Ngãi province from
the maintained `vietnam-provinces` package, and the pre-2025 districts kept for 2024 records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vietnam_provinces import Province, Ward

from app.text import fold

QUANG_NGAI_CODE = 51  # the province code survived the 01/07/2025 merger with Kon Tum
DISTRICTS_FILE = Path(__file__).parent / "data" / "quang_ngai_districts_2024.json"


@dataclass(frozen=True)
class Unit:
    code: str
    name: str


# The kind of unit written before its name; longest first ("thị trấn" before a bare "thị").
UNIT_TYPES = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "xã")


def sort_key(name: str) -> tuple[str, str]:
    """Units are looked for by their own name, not their kind: "Đặc khu Lý Sơn" sorts under L
    (between "Xã Long Phụng" and "Xã Măng Bút"), not under Đ; accents folded as people search."""
    folded = fold(name)
    for kind in UNIT_TYPES:
        prefix = fold(kind) + " "
        if folded.startswith(prefix):
            return folded[len(prefix) :], folded
    return folded, folded


@cache
def communes() -> tuple[Unit, ...]:
    """The province's communes, wards and special zones since 01/07/2025, sorted by name."""
    province = next(p for p in Province.iter_all() if int(p.code) == QUANG_NGAI_CODE)
    wards = [Unit(str(int(w.code)), w.name) for w in Ward.iter_all() if w.province_code == province.code]
    return tuple(sorted(wards, key=lambda u: sort_key(u.name)))


@cache
def districts_2024() -> tuple[Unit, ...]:
    """The 13 district-level units of Quảng Ngãi before the 2025 reorganisation, sorted by name."""
    data = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    return tuple(
        sorted((Unit(d["code"], d["name"]) for d in data["districts"]), key=lambda u: sort_key(u.name))
    )


def commune_name(code: str) -> str | None:
    return _names("communes").get(code)


def district_name(code: str) -> str | None:
    return _names("districts").get(code)


@cache
def _names(kind: str) -> dict[str, str]:
    units = communes() if kind == "communes" else districts_2024()
    return {u.code: u.name for u in units}
