"""The booth downloads, in the government layout of app.spreadsheet.workbook: "Danh sách gian hàng"
(every booth by zone and number, with its exhibitor) and the exhibitors workbook (every application
with its organisation's facts, and a summary by kind of organisation, sector and OCOP stars).

Permissions are the caller's (the event's managers only: the sheets carry phones and emails). Plain
column queries, a fixed handful whatever the number of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.accounts.validation import format_phone
from app.booths.floor import number_key
from app.booths.models import (
    ORG_KINDS,
    PROVISIONS,
    STATUS_LABELS,
    ApplicationStatus,
    Booth,
    BoothApplication,
    BoothType,
)
from app.contests.units import commune_name
from app.events.models import Event
from app.extensions import db
from app.localtime import to_local
from app.spreadsheet.collation import sort_key
from app.spreadsheet.workbook import Column, Sheet, write_workbook

__all__ = [
    "XLSX_MIMETYPE",
    "BoothLine",
    "BoothExport",
    "booth_lines",
    "booth_list_export",
    "exhibitors_export",
]

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_SECTOR = "(Chưa ghi lĩnh vực)"
NO_STARS = "Không có sản phẩm OCOP"


@dataclass
class BoothExport:
    """A workbook ready to write: its download name and its sheets."""

    filename: str
    sheets: list[Sheet]

    def write(self, target: Any) -> None:
        write_workbook(target, self.sheets)


def _needs(keys: Iterable[str] | None, note: str) -> str:
    labels = [PROVISIONS[k] for k in keys or [] if k in PROVISIONS]
    return "; ".join([*labels, note] if note else labels)


def _status_label(status: str) -> str:
    labels = {str(key): label for key, label in STATUS_LABELS.items()}
    return labels.get(status, status)


def _event_line(event: Event) -> str:
    return f"{event.name} – {event.venue + ', ' if event.venue else ''}{to_local(event.starts_at):%d/%m/%Y}"


@dataclass
class BoothLine:
    """One row of the printed booth list."""

    number: str
    zone: str
    type_name: str
    size: str
    organisation: str
    org_kind: str
    products: str
    contact_name: str
    contact_phone: str
    needs: str


def booth_lines(event: Event) -> list[BoothLine]:
    """Every booth by zone (booths without one last) and number, with its exhibitor (blank while
    free): one query."""
    rows = db.session.execute(
        select(
            Booth.number,
            Booth.zone,
            BoothType.name,
            BoothType.size,
            BoothApplication.organisation,
            BoothApplication.org_kind,
            BoothApplication.products,
            BoothApplication.contact_name,
            BoothApplication.contact_phone,
            BoothApplication.needs,
            BoothApplication.needs_note,
        )
        .join(BoothType, BoothType.id == Booth.booth_type_id)
        .outerjoin(BoothApplication, BoothApplication.booth_id == Booth.id)
        .where(Booth.event_id == event.id)
    ).all()
    lines = [
        BoothLine(
            number=number,
            zone=zone or "",
            type_name=type_name,
            size=size or "",
            organisation=organisation or "",
            org_kind=ORG_KINDS.get(kind, kind or "") if organisation else "",
            products=products or "",
            contact_name=contact or "",
            contact_phone=format_phone(phone),
            needs=_needs(needs, note or "") if organisation else "",
        )
        for number, zone, type_name, size, organisation, kind, products, contact, phone, needs, note in rows
    ]
    return sorted(lines, key=lambda line: (not line.zone, sort_key(line.zone), number_key(line.number)))


def booth_list_export(event: Event) -> BoothExport:
    """ "Danh sách gian hàng": booth, zone, type, exhibitor, products, contact, needs."""
    lines = booth_lines(event)
    taken = sum(1 for line in lines if line.organisation)
    sheet = Sheet(
        "Danh sách gian hàng",
        "Danh sách gian hàng",
        [
            Column("Số gian", width=9),
            Column("Khu", width=14),
            Column("Loại gian", width=16),
            Column("Đơn vị trưng bày", width=26),
            Column("Loại hình", width=14),
            Column("Sản phẩm trưng bày", width=28),
            Column("Người liên hệ", width=18),
            Column("Điện thoại", width=13),
            Column("Nhu cầu", width=20),
        ],
        (
            [
                line.number,
                line.zone,
                f"{line.type_name} ({line.size})" if line.size else line.type_name,
                line.organisation or "(Còn trống)",
                line.org_kind,
                line.products,
                line.contact_name,
                line.contact_phone,
                line.needs,
            ]
            for line in lines
        ),
        subtitle=[
            _event_line(event),
            f"Tổng số gian: {len(lines)} – Đã phân: {taken} – Còn trống: {len(lines) - taken}",
        ],
    )
    return BoothExport(f"danh-sach-gian-hang-{event.slug}.xlsx", [sheet])


def exhibitors_export(event: Event) -> BoothExport:
    """Every application (organisation, kind, tax code, sector, products, OCOP stars, commune, contact,
    booth, status) and a summary sheet counting them by kind, sector and OCOP stars."""
    rows = db.session.execute(
        select(
            BoothApplication.organisation,
            BoothApplication.org_kind,
            BoothApplication.tax_code,
            BoothApplication.sector,
            BoothApplication.products,
            BoothApplication.ocop_stars,
            BoothApplication.commune_code,
            BoothApplication.contact_name,
            BoothApplication.contact_phone,
            BoothApplication.contact_email,
            BoothType.name,
            Booth.number,
            BoothApplication.status,
            BoothApplication.created_at,
        )
        .outerjoin(BoothType, BoothType.id == BoothApplication.booth_type_id)
        .outerjoin(Booth, Booth.id == BoothApplication.booth_id)
        .where(BoothApplication.event_id == event.id)
    ).all()
    rows = sorted(rows, key=lambda r: (sort_key(r[0]), r[13]))
    by_kind: Counter[str] = Counter()
    by_sector: Counter[str] = Counter()
    by_stars: Counter[str] = Counter()
    accepted: Counter[tuple[str, str]] = Counter()
    data = []
    for (
        org,
        kind,
        tax,
        sector,
        products,
        stars,
        commune,
        contact,
        phone,
        email,
        type_name,
        booth,
        status,
        created,
    ) in rows:
        kind_label = ORG_KINDS.get(kind, kind)
        sector_label = sector or NO_SECTOR
        stars_label = f"OCOP {stars} sao" if stars else NO_STARS
        is_accepted = status == ApplicationStatus.ACCEPTED.value
        for group, counter, label in (
            ("kind", by_kind, kind_label),
            ("sector", by_sector, sector_label),
            ("stars", by_stars, stars_label),
        ):
            counter[label] += 1
            accepted[(group, label)] += is_accepted
        data.append(
            [
                org,
                kind_label,
                tax,
                sector,
                products,
                stars,
                commune_name(commune) or "" if commune else "",
                contact,
                format_phone(phone),
                email or "",
                type_name or "",
                booth or "",
                _status_label(status),
                created,
            ]
        )
    total_accepted = sum(1 for r in rows if r[12] == ApplicationStatus.ACCEPTED.value)
    exhibitors = Sheet(
        "Đơn vị trưng bày",
        "Danh sách đơn vị đăng ký trưng bày",
        [
            Column("Đơn vị", width=24),
            Column("Loại hình", width=14),
            Column("Mã số thuế", width=12),
            Column("Lĩnh vực", width=14),
            Column("Sản phẩm", width=24),
            Column("Sao OCOP", kind="int", width=7),
            Column("Xã/phường", width=14),
            Column("Người liên hệ", width=16),
            Column("Điện thoại", width=13),
            Column("Email", width=20),
            Column("Loại gian", width=13),
            Column("Số gian", width=8),
            Column("Trạng thái", width=13),
            Column("Ngày đăng ký", kind="datetime"),
        ],
        data,
        subtitle=[_event_line(event), f"Số hồ sơ: {len(rows)} – Đã được nhận: {total_accepted}"],
    )

    def summary_rows() -> list[list[Any]]:
        out: list[list[Any]] = []
        for group, title, counter, order in (
            ("kind", "Loại hình", by_kind, list(ORG_KINDS.values())),
            ("sector", "Lĩnh vực", by_sector, None),
            ("stars", "Sản phẩm OCOP", by_stars, ["OCOP 5 sao", "OCOP 4 sao", "OCOP 3 sao", NO_STARS]),
        ):
            labels = (
                [label for label in order if label in counter]
                + [label for label in counter if label not in order]
                if order
                else sorted(counter, key=lambda label: (label == NO_SECTOR, sort_key(label)))
            )
            out.extend([title, label, counter[label], accepted[(group, label)]] for label in labels)
        return out

    summary = Sheet(
        "Tổng hợp",
        "Tổng hợp đơn vị đăng ký trưng bày",
        [
            Column("Tiêu chí", width=18),
            Column("Nhóm", width=40),
            Column("Số hồ sơ", kind="int", width=12),
            Column("Đã được nhận", kind="int", width=14),
        ],
        summary_rows(),
        subtitle=[_event_line(event)],
        totals=["Tổng cộng", "", len(rows), total_accepted],
    )
    return BoothExport(f"don-vi-trung-bay-{event.slug}.xlsx", [exhibitors, summary])
