"""The annual report (SPEC §6): the year's figures for the Sở's reports to the province (UBND
tỉnh, before 10/12) and the ministry (Bộ KH&CN, before 20/12), the plan's targets, and the rule
that keeps small groups of people from being recognised in them.

`report_export` assembles one sheet per subject, each built by its own function from the year's
data (`year_data`, computed once; the report page reads it too). Read-only queries, apart from
`save_targets` (the plan's targets).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.contests.eligibility import age_on, closing_date
from app.contests.models import SEX_LABELS, Contest, Entry, EntryStatus, TeamMember
from app.database import commit
from app.errors import Invalid
from app.events.models import Attendee, Checkin, Event
from app.exports.dashboard import COUNTED_STATES, UNKNOWN
from app.exports.downloads import Export, local_date
from app.exports.models import TARGET_KINDS, PlanTarget
from app.exports.permissions import require_report_access
from app.extensions import db
from app.localtime import to_local, utcnow
from app.privacy.models import Consent
from app.spreadsheet.collation import sort_key
from app.spreadsheet.workbook import Column, NotesSheet, Sheet
from app.text import fold, tidy

AGE_BANDS: tuple[tuple[int | None, int | None, str], ...] = (
    (None, 17, "Dưới 18 tuổi"),
    (18, 24, "18–24 tuổi"),
    (25, 30, "25–30 tuổi"),
    (31, 35, "31–35 tuổi"),
    (36, 45, "36–45 tuổi"),
    (46, None, "Trên 45 tuổi"),
)

ORGANISATION_TYPES = (
    (
        "Trường học, viện, cơ sở đào tạo",
        ("truong", "dai hoc", "cao dang", "hoc vien", "vien ", "thpt", "thcs"),
    ),
    ("Doanh nghiệp", ("cong ty", "doanh nghiep", "tnhh", "co phan", "dntn", "startup")),
    ("Hợp tác xã, tổ hợp tác", ("hop tac xa", "htx", "to hop tac")),
    (
        "Đoàn thể, hội",
        ("doan thanh nien", "tinh doan", "huyen doan", "hoi ", "hoi lhpn", "cong doan", "doan tn"),
    ),
    ("Cơ quan nhà nước, đơn vị sự nghiệp", ("ubnd", "so ", "phong ", "trung tam", "ban quan ly", "chi cuc")),
)
ORGANISATION_TYPE_OTHER = "Khác (hộ kinh doanh, cá nhân…)"
ORGANISATION_TYPE_NONE = "Không ghi đơn vị"
ORGANISATION_ORDER = [label for label, _ in ORGANISATION_TYPES] + [
    ORGANISATION_TYPE_OTHER,
    ORGANISATION_TYPE_NONE,
]


def organisation_type(name: str) -> str:
    """A coarse type from the organisation's name: the forms ask for a name, not a type, so the
    report classifies by the words Vietnamese organisation names start with or contain."""
    folded = " " + fold(name) + " "
    if not folded.strip():
        return ORGANISATION_TYPE_NONE
    for label, words in ORGANISATION_TYPES:
        if any(f" {word}" in folded for word in words):
            return label
    return ORGANISATION_TYPE_OTHER


def age_band(birth: date | None, on: date) -> str:
    """The report's age band of someone born on `birth`, aged on the day `on`."""
    if birth is None:
        return UNKNOWN
    age = age_on(birth, on)
    for low, high, label in AGE_BANDS:
        if (low is None or age >= low) and (high is None or age <= high):
            return label
    return UNKNOWN


def _person_key(member: TeamMember) -> str:
    """One person across entries: account, else email, else phone, else name + birth date."""
    if member.user_id:
        return f"u{member.user_id}"
    if member.email:
        return f"e{member.email}"
    if member.phone:
        return f"p{member.phone}"
    return f"n{fold(member.full_name)}|{member.birth_date}"


def consenting_members(members: list[TeamMember]) -> set[int]:
    """Members whose current sensitive_stats consent is granted and not withdrawn: their own
    (team_member), or their account's. One query for the lot (the latest choice wins)."""
    member_ids = [m.id for m in members]
    user_ids = {m.user_id for m in members if m.user_id}
    latest: dict[tuple[str, int], Consent] = {}
    subjects = [("team_member", member_ids), ("user", list(user_ids))]
    for kind, ids in subjects:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = db.session.scalars(
                select(Consent)
                .where(
                    Consent.subject_kind == kind,
                    Consent.subject_id.in_(chunk),
                    Consent.purpose == "sensitive_stats",
                )
                .order_by(Consent.given_at, Consent.id)
            )
            for row in rows:
                latest[(kind, row.subject_id)] = row

    def granted(kind: str, subject_id: int | None) -> bool:
        row = latest.get((kind, subject_id)) if subject_id else None
        return bool(row and row.granted and row.withdrawn_at is None)

    return {m.id for m in members if granted("team_member", m.id) or granted("user", m.user_id)}


@dataclass
class YearData:
    """The year's figures, computed once for the report workbook and the dashboard."""

    year: int
    contests: list[Contest]
    entries: list[Entry]
    events: list[Event] = field(default_factory=list)


def year_data(year: int) -> YearData:
    """The year's contests, their counted entries (members loaded) and the events held that year."""
    contest_list = list(
        db.session.scalars(select(Contest).where(Contest.year == year).order_by(Contest.opens_at))
    )
    ids = [c.id for c in contest_list]
    entry_list = []
    if ids:
        entry_list = list(
            db.session.scalars(
                select(Entry)
                .where(Entry.contest_id.in_(ids), Entry.status.in_(COUNTED_STATES))
                .options(selectinload(Entry.members))
            )
        )
    start = datetime(year, 1, 1) - timedelta(hours=7)  # 00:00 on 1 January in Quảng Ngãi, as UTC
    end = datetime(year + 1, 1, 1) - timedelta(hours=7)
    event_list = list(
        db.session.scalars(
            select(Event)
            .where(Event.starts_at >= start.replace(tzinfo=UTC), Event.starts_at < end.replace(tzinfo=UTC))
            .order_by(Event.starts_at)
        )
    )
    return YearData(year, contest_list, entry_list, event_list)


def _count_table(
    entries: list[Entry],
    key_entry: Callable[[Entry], str] | None,
    key_member: Callable[[Entry, TeamMember], str],
) -> dict[str, list[int]]:
    """label → [entries, distinct participants]."""
    entry_counts: Counter[str] = Counter()
    people: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if key_entry is not None:
            entry_counts[key_entry(entry)] += 1
        for member in entry.members:
            people[key_member(entry, member)].add(_person_key(member))
    labels = list(dict.fromkeys([*entry_counts, *people]))
    return {label: [entry_counts.get(label, 0), len(people.get(label, ()))] for label in labels}


def _rows_with_share(
    table: dict[str, list[int]], order: list[str] | None = None, with_entries: bool = True
) -> list[list[Any]]:
    total_people = sum(v[1] for v in table.values())
    labels = order or sorted(table, key=lambda k: (k == UNKNOWN, sort_key(k)))
    rows: list[list[Any]] = []
    for label in labels:
        if label not in table:
            continue
        entries_n, people_n = table[label]
        share = people_n / total_people if total_people else None
        rows.append([label, entries_n, people_n, share] if with_entries else [label, people_n, share])
    return rows


def checkins_per_event(event_ids: list[int]) -> dict[int, tuple[int, int]]:
    """event id → (active registrations, people checked in)."""
    if not event_ids:
        return {}
    registered: dict[int, int] = dict(
        db.session.execute(
            select(Attendee.event_id, func.count())
            .where(Attendee.event_id.in_(event_ids), Attendee.cancelled_at.is_(None))
            .group_by(Attendee.event_id)
        )
        .tuples()
        .all()
    )
    checked: dict[int, int] = dict(
        db.session.execute(
            select(Checkin.event_id, func.count(func.distinct(Checkin.attendee_id)))
            .where(Checkin.event_id.in_(event_ids), Checkin.undone_at.is_(None))
            .group_by(Checkin.event_id)
        )
        .tuples()
        .all()
    )
    return {i: (registered.get(i, 0), checked.get(i, 0)) for i in event_ids}


def target_rows(year: int, data: YearData) -> list[dict[str, Any]]:
    """Each plan indicator: target, what the platform counts, the organisers' own figure, which counts."""
    stored = {t.kind: t for t in db.session.scalars(select(PlanTarget).where(PlanTarget.year == year))}
    counted = {"ideas": 0, "projects": 0, "startups": 0}
    for entry in data.entries:
        track = fold(entry.track.name if entry.track else "")
        if "du an" in track:
            counted["projects"] += 1
        else:
            counted["ideas"] += 1
        if entry.startup_registered_on is not None:
            counted["startups"] += 1
    sources = {
        "ideas": "Hồ sơ đã nộp ở các bảng ý tưởng (và cuộc thi không chia bảng) trong năm",
        "projects": "Hồ sơ đã nộp ở các bảng dự án trong năm",
        "startups": "Hồ sơ dự thi có đăng ký doanh nghiệp trong năm",
    }
    rows = []
    for kind, label in TARGET_KINDS.items():
        row = stored.get(kind)
        actual = row.actual_override if row and row.actual_override is not None else counted[kind]
        source = "Số liệu do Ban tổ chức nhập" if row and row.actual_override is not None else sources[kind]
        if row and row.note:
            source += f". {row.note}"
        target = row.target if row else None
        rows.append(
            {
                "kind": kind,
                "label": label,
                "target": target,
                "counted": counted[kind],
                "override": row.actual_override if row else None,
                "note": row.note if row else "",
                "actual": actual,
                "share": (actual / target) if target else None,
                "source": source,
            }
        )
    return rows


# A plan target or an organisers' figure: a count of ideas, projects or startups in one province and
# year. A million is far above any real plan and far below PostgreSQL's integer (issue 9).
TARGET_MAX = 1_000_000


def save_targets(actor: User, year: int, values: dict[str, dict[str, Any]]) -> None:
    """Set the year's targets: values[kind] = {"target": int|None, "override": int|None, "note": str}."""
    require_report_access(actor)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise Invalid("Năm không hợp lệ.", field="year")
    # Check every value before touching a row, so a refusal leaves nothing half-written.
    for kind, item in values.items():
        if kind not in TARGET_KINDS:
            raise Invalid("Chỉ tiêu không có trong kế hoạch.", field="kind")
        for name in ("target", "override"):
            number = item.get(name)
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= TARGET_MAX
            ):
                raise Invalid(
                    f"{TARGET_KINDS[kind]}: số phải là số nguyên từ 0 đến 1.000.000.", field=f"{kind}_{name}"
                )
    for kind, item in values.items():
        row = db.session.scalar(select(PlanTarget).where(PlanTarget.year == year, PlanTarget.kind == kind))
        if row is None:
            row = PlanTarget(year=year, kind=kind)
            db.session.add(row)
        row.target, row.actual_override = item.get("target"), item.get("override")
        row.note = tidy(item.get("note"), 500, one_line=True)
        row.updated_by_id, row.updated_at = actor.id, utcnow()
    record(actor, "exports.targets_save", "plan_targets", year, values=values)
    commit()  # two people saving the same year's first targets at once: a 409, not a 500


# --- the small-cell rule ----------------------------------------------------------------------
# Cells of sensitive aggregates (ethnicity) below this many people are not shown: a "2" next to a
# small minority in one commune can name the person.
SMALL_CELL = 5


def suppress_small(counts: dict[str, int], threshold: int = SMALL_CELL) -> dict[str, int | None]:
    """Hide counts below the threshold (None), and when only one is hidden also hide the next
    smallest, so no hidden count can be recovered by subtracting the shown ones from the total."""
    shown: dict[str, int | None] = {k: (v if v >= threshold else None) for k, v in counts.items()}
    hidden = [k for k, v in shown.items() if v is None and counts[k] > 0]
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in shown.items() if v is not None and v > 0)
        if others:
            shown[others[0][1]] = None
    return shown


@dataclass
class SmallCells:
    """A table of counts as a report may show it: `cells` with hidden ones None, `total` None
    when showing it would reveal a hidden group."""

    cells: dict[str, int | None]
    total: int | None


def hide_small_cells(counts: dict[str, int], total: int, threshold: int = SMALL_CELL) -> SmallCells:
    """The whole small-cell rule: cells below the threshold hidden (with a second one when a lone
    hidden cell could be derived), and the total hidden when it is itself small or when a lone
    hidden group (nothing else to hide with it) would equal the total minus the rest."""
    cells = suppress_small(counts, threshold)
    hidden = [k for k, v in cells.items() if v is None]
    shown_total: int | None = total
    if len(hidden) == 1 or 0 < total < threshold:
        shown_total = None
    return SmallCells(cells, shown_total)


# --- the report workbook ------------------------------------------------------------------------
# Narrow tables leave too little room for the national motto in the right header block:
# count columns are 18 wide and label columns 40, so the right block has ~50 units.
SHARE_COLUMN = Column("Tỷ lệ", "percent", width=14)


def _count_column(header: str) -> Column:
    return Column(header, "int", width=18)


@dataclass
class _Report:
    """What every sheet of one year's report shares."""

    year: int
    data: YearData
    subtitle: list[str]

    @property
    def entries(self) -> list[Entry]:
        return self.data.entries


def report_export(year: int) -> Export:
    """The annual summary workbook for the Sở's reports (UBND tỉnh before 10/12, Bộ before 20/12)."""
    report = _Report(year, year_data(year), [f"Năm {year} – số liệu đến ngày {to_local(utcnow()):%d/%m/%Y}"])
    sheets: list[Sheet | NotesSheet] = [
        _contest_sheet(report),
        _track_sheet(report),
        *_dimension_sheets(report),
        _ethnicity_sheet(report),
        _event_sheet(report),
        _attendee_organisation_sheet(report),
        _target_sheet(report),
    ]
    return Export(f"bao-cao-kndmst-{year}.xlsx", sheets)


def _contest_sheet(report: _Report) -> Sheet:
    """By contest; attendees are those checked in at the events linked to the contest (the final)."""
    data, entries = report.data, report.entries
    linked_events = list(
        db.session.scalars(select(Event).where(Event.contest_id.in_([c.id for c in data.contests])))
    )
    linked_stats = checkins_per_event([ev.id for ev in linked_events])
    by_contest = []
    for c in data.contests:
        mine = [e for e in entries if e.contest_id == c.id]
        people = {_person_key(m) for e in mine for m in e.members}
        by_contest.append(
            [
                c.name,
                len(mine),
                sum(
                    1
                    for e in mine
                    if e.status not in (EntryStatus.SUBMITTED.value, EntryStatus.INELIGIBLE.value)
                ),
                sum(
                    1
                    for e in mine
                    if e.status
                    in (EntryStatus.FINALIST.value, EntryStatus.AWARDED.value, EntryStatus.NOT_AWARDED.value)
                ),
                sum(1 for e in mine if e.status == EntryStatus.AWARDED.value),
                len(people),
                sum(1 for e in mine if e.is_paper),
                sum(linked_stats[ev.id][1] for ev in linked_events if ev.contest_id == c.id),
            ]
        )
    total_people = len({_person_key(m) for e in entries for m in e.members})
    return Sheet(
        "Theo cuộc thi",
        f"Tổng hợp hồ sơ và người tham gia các cuộc thi năm {report.year}",
        [
            Column("Cuộc thi", width=40),
            _count_column("Hồ sơ đã nộp"),
            _count_column("Hồ sơ hợp lệ"),
            _count_column("Vào chung kết"),
            _count_column("Đạt giải"),
            _count_column("Người tham gia"),
            _count_column("Hồ sơ giấy"),
            _count_column("Người dự sự kiện của cuộc thi"),
        ],
        by_contest,
        subtitle=report.subtitle
        + ["Không tính bản nháp và hồ sơ đã rút; một người tham gia nhiều hồ sơ được đếm một lần"],
        totals=[
            "Tổng cộng",
            len(entries),
            sum(r[2] for r in by_contest),
            sum(r[3] for r in by_contest),
            sum(r[4] for r in by_contest),
            total_people,
            sum(r[6] for r in by_contest),
            sum(r[7] for r in by_contest),
        ],
    )


def _track_sheet(report: _Report) -> Sheet:
    """Entries and participants by contest and track, in the order they are first met."""
    contest_names = {c.id: c.name for c in report.data.contests}
    entry_counts: Counter[tuple[str, str]] = Counter()
    people: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for e in report.entries:
        key = (contest_names[e.contest_id], e.track.name if e.track else "Không chia bảng")
        entry_counts[key] += 1
        people[key].update(_person_key(m) for m in e.members)
    track_rows = [[c, t, n, len(people[(c, t)])] for (c, t), n in entry_counts.items()]
    return Sheet(
        "Theo bảng",
        f"Hồ sơ theo cuộc thi và bảng năm {report.year}",
        [
            Column("Cuộc thi", width=40),
            Column("Bảng", width=20),
            _count_column("Hồ sơ"),
            _count_column("Người tham gia"),
        ],
        track_rows,
        subtitle=report.subtitle,
    )


def _dimension_sheet(
    report: _Report,
    name: str,
    title: str,
    header: str,
    table: dict[str, list[int]],
    order: list[str] | None = None,
    note: str = "",
) -> Sheet:
    """Entries (counted by their leader) and distinct participants by one dimension, with shares."""
    rows = _rows_with_share(table, order)
    return Sheet(
        name,
        title,
        [
            Column(header, width=40),
            _count_column("Hồ sơ (theo trưởng nhóm)"),
            _count_column("Người tham gia"),
            SHARE_COLUMN,
        ],
        rows,
        subtitle=report.subtitle + ([note] if note else []),
        totals=["Tổng cộng", len(report.entries), sum(r[2] for r in rows), 1.0 if rows else None],
    )


def _dimension_sheets(report: _Report) -> list[Sheet]:
    """By field, sex, age band, organisation type, commune and (up to 2025) the old districts."""
    year, entries = report.year, report.entries
    closing = {c.id: closing_date(c) for c in report.data.contests}

    def sex_of(member: TeamMember | None) -> str:
        return SEX_LABELS.get(member.sex or "", UNKNOWN) if member else UNKNOWN

    def age_of(entry: Entry, member: TeamMember | None) -> str:
        return age_band(member.birth_date, closing[entry.contest_id]) if member else UNKNOWN

    def leader_district(entry: Entry) -> str:
        leader = entry.leader_member
        return (leader.district_name if leader else "") or UNKNOWN

    field_table = _count_table(entries, lambda e: e.field or UNKNOWN, lambda e, m: e.field or UNKNOWN)
    sex_table = _count_table(entries, lambda e: sex_of(e.leader_member), lambda e, m: sex_of(m))
    age_table = _count_table(entries, lambda e: age_of(e, e.leader_member), age_of)
    org_table = _count_table(
        entries, lambda e: organisation_type(e.organisation), lambda e, m: organisation_type(m.organisation)
    )
    commune_table = _count_table(
        entries, lambda e: e.commune_name or UNKNOWN, lambda e, m: m.commune_name or UNKNOWN
    )
    age_order = [label for _, _, label in AGE_BANDS] + [UNKNOWN]
    sex_order = [*SEX_LABELS.values(), UNKNOWN]
    sheets = [
        _dimension_sheet(
            report,
            "Theo lĩnh vực",
            f"Hồ sơ và người tham gia theo lĩnh vực năm {year}",
            "Lĩnh vực",
            field_table,
        ),
        _dimension_sheet(
            report,
            "Theo giới tính",
            f"Người tham gia theo giới tính năm {year}",
            "Giới tính",
            sex_table,
            sex_order,
        ),
        _dimension_sheet(
            report,
            "Theo độ tuổi",
            f"Người tham gia theo độ tuổi năm {year}",
            "Nhóm tuổi",
            age_table,
            age_order,
            "Tuổi tính đến ngày hết hạn nộp hồ sơ của cuộc thi",
        ),
        _dimension_sheet(
            report,
            "Theo loại đơn vị",
            f"Người tham gia theo loại đơn vị năm {year}",
            "Loại đơn vị",
            org_table,
            ORGANISATION_ORDER,
            "Phân loại theo tên đơn vị người tham gia khai",
        ),
        _dimension_sheet(
            report,
            "Theo xã phường",
            f"Hồ sơ và người tham gia theo xã, phường năm {year}",
            "Xã/phường/đặc khu",
            commune_table,
        ),
    ]
    if year <= 2025:
        district_table = _count_table(entries, leader_district, lambda e, m: m.district_name or UNKNOWN)
        sheets.append(
            _dimension_sheet(
                report,
                "Theo huyện (cũ)",
                f"Người tham gia theo đơn vị hành chính cấp huyện cũ năm {year}",
                "Huyện/thị xã/thành phố (trước 01/07/2025)",
                district_table,
                note="Hồ sơ năm 2024 giữ huyện cũ theo địa giới trước khi sắp xếp",
            )
        )
    return sheets


def _ethnicity_sheet(report: _Report) -> Sheet:
    """Consenting people only, aggregate, small cells hidden."""
    members = [m for e in report.entries for m in e.members]
    consenting = consenting_members(members)
    eth_people: dict[str, set[str]] = defaultdict(set)
    not_given: set[str] = set()
    for m in members:
        value = (m.ethnicity or "").strip()
        if m.id in consenting and value and value != "khong_cung_cap":
            eth_people[value].add(_person_key(m))
        else:
            not_given.add(_person_key(m))
    eth_counts = {k: len(v) for k, v in eth_people.items()}
    gave: set[str] = set().union(*eth_people.values()) if eth_people else set()
    shown = hide_small_cells(eth_counts, len(gave))
    eth_rows = []
    for label in sorted(eth_counts, key=sort_key):
        count = shown.cells[label]
        why = "" if count is not None else f"Ẩn: dưới {SMALL_CELL} người hoặc có thể suy ra từ ô khác"
        eth_rows.append([label, count, why])
    return Sheet(
        "Theo dân tộc",
        f"Người tham gia theo dân tộc năm {report.year} (số liệu tổng hợp)",
        [Column("Dân tộc", width=30), _count_column("Người tham gia"), Column("Ghi chú", width=56)],
        eth_rows,
        subtitle=report.subtitle
        + [
            "Chỉ gồm người đã đồng ý dùng thông tin dân tộc để thống kê (dữ liệu nhạy cảm, Nghị định 356/2025/NĐ-CP)",
        ],
        totals=[
            "Tổng (đồng ý và có khai)",
            shown.total,
            f"Không đồng ý hoặc không cung cấp: {len(not_given - gave)} người"
            + (
                ""
                if shown.total is not None
                else f". Tổng ẩn để không suy ra được nhóm dưới {SMALL_CELL} người"
            ),
        ],
    )


def _event_sheet(report: _Report) -> Sheet:
    """The year's events with their capacity, registrations and people checked in."""
    events = report.data.events
    stats = checkins_per_event([e.id for e in events])
    event_rows = []
    for event in events:
        registered, checked = stats[event.id]
        event_rows.append(
            [
                event.name,
                local_date(event.starts_at),
                event.venue,
                event.capacity,
                registered,
                checked,
                (checked / registered) if registered else None,
            ]
        )
    registered_total = sum(stats[e.id][0] for e in events)
    checked_total = sum(stats[e.id][1] for e in events)
    return Sheet(
        "Sự kiện",
        f"Các sự kiện đã tổ chức và số người tham dự năm {report.year}",
        [
            Column("Sự kiện", width=36),
            Column("Ngày", "date"),
            Column("Địa điểm", width=26),
            _count_column("Sức chứa"),
            _count_column("Đăng ký"),
            _count_column("Có mặt (check-in)"),
            Column("Tỷ lệ có mặt", "percent", width=10),
        ],
        event_rows,
        subtitle=report.subtitle,
        totals=[
            f"Tổng cộng: {len(event_rows)} sự kiện",
            None,
            "",
            None,
            registered_total,
            checked_total,
            (checked_total / registered_total) if registered_total else None,
        ],
    )


def _attendee_organisation_sheet(report: _Report) -> Sheet:
    """People registered for the year's events, and those who came, by type of organisation."""
    events = report.data.events
    attendee_orgs: Counter[str] = Counter()
    attendee_present: Counter[str] = Counter()
    if events:
        present = (
            select(Checkin.id).where(Checkin.attendee_id == Attendee.id, Checkin.undone_at.is_(None)).exists()
        )
        for org, was_there in db.session.execute(
            select(Attendee.organisation, present).where(
                Attendee.event_id.in_([e.id for e in events]), Attendee.cancelled_at.is_(None)
            )
        ):
            attendee_orgs[organisation_type(org)] += 1
            attendee_present[organisation_type(org)] += 1 if was_there else 0
    total = sum(attendee_orgs.values())
    return Sheet(
        "Người dự theo đơn vị",
        f"Người đăng ký tham dự sự kiện theo loại đơn vị năm {report.year}",
        [
            Column("Loại đơn vị", width=40),
            _count_column("Người đăng ký"),
            _count_column("Có mặt (check-in)"),
            SHARE_COLUMN,
        ],
        [
            [k, attendee_orgs[k], attendee_present[k], attendee_orgs[k] / total]
            for k in ORGANISATION_ORDER
            if attendee_orgs.get(k)
        ],
        subtitle=report.subtitle,
        totals=["Tổng cộng", total, sum(attendee_present.values()), 1.0 if total else None],
    )


def _target_sheet(report: _Report) -> Sheet:
    """Each indicator of the year's plan: target, achieved, share and where the figure comes from."""
    targets = target_rows(report.year, report.data)
    return Sheet(
        "Chỉ tiêu kế hoạch",
        f"Kết quả thực hiện chỉ tiêu kế hoạch KNĐMST năm {report.year}",
        [
            Column("Chỉ tiêu", width=40),
            _count_column("Kế hoạch"),
            _count_column("Thực hiện"),
            Column("Tỷ lệ hoàn thành", "percent", width=11),
            Column("Nguồn số liệu", width=46),
        ],
        [[t["label"], t["target"], t["actual"], t["share"], t["source"]] for t in targets],
        subtitle=report.subtitle,
    )
