"""What the exports, the annual report and the dashboard contain, and who may see them (SPEC §6).

Each `*_export` function returns an `Export` (file name + sheets for app.exports.workbook); the web
view and the `flask export …` command both call them and `write_export`, so the file is the same.
Permissions are checked here, per object: `*_for_user` lookups raise NotFound/PermissionDenied;
the CLI (run by the server's operator) uses the plain lookups.

Read-only queries only, apart from `save_targets` (the plan's targets). Results come from the
judging services (`compute_results`, `round_progress`) and scoring.py — never a second formula.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.validation import format_phone
from app.audit.services import record
from app.contests import services as contests
from app.contests.models import (
    ACTIVE_STATES,
    SEX_LABELS,
    Contest,
    Entry,
    EntryStatus,
    TeamMember,
)
from app.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from app.events import services as events
from app.events.models import SOURCES, Attendee, Checkin, DeviceToken, Event
from app.exports.collation import name_sort_key, sort_key
from app.exports.models import TARGET_KINDS, PlanTarget
from app.exports.workbook import Column, NotesSheet, Sheet, Signature, write_workbook
from app.extensions import db
from app.judging import scoring
from app.judging import services as judging
from app.judging.models import SHEET_STATUS_LABELS, Assignment, Round, RoundEntry, SheetStatus
from app.localtime import to_local, utcnow
from app.privacy.models import Consent, DataRequest
from app.privacy.services import REQUEST_KINDS, REQUEST_STATUSES
from app.text import fold

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Cells of sensitive aggregates (ethnicity) below this many people are not shown: a "2" next to a
# small minority in one commune can name the person.
SMALL_CELL = 5
COUNTED_STATES = {s.value for s in ACTIVE_STATES}
AGE_BANDS = (
    (None, 17, "Dưới 18 tuổi"),
    (18, 24, "18–24 tuổi"),
    (25, 30, "25–30 tuổi"),
    (31, 35, "31–35 tuổi"),
)
AGE_BANDS += ((36, 45, "36–45 tuổi"), (46, None, "Trên 45 tuổi"))
UNKNOWN = "Không rõ"


@dataclass
class Export:
    """A workbook ready to write: its download name and its sheets (in order)."""

    filename: str
    sheets: list[Sheet | NotesSheet]
    report_date: date | None = None


def write_export(export: Export, target: str | os.PathLike[str] | BinaryIO) -> None:
    """Write the workbook (streamed, so a big export keeps memory flat)."""
    write_workbook(target, export.sheets, report_date=export.report_date)


def _sorted_people(rows: Iterable[tuple], name_index: int, tiebreak_index: int | None = None) -> list[tuple]:
    """Rows listing people, in Vietnamese order: tên, tên đệm, họ (then a stable tie-breaker)."""
    if tiebreak_index is None:
        return sorted(rows, key=lambda r: name_sort_key(r[name_index]))
    return sorted(rows, key=lambda r: (name_sort_key(r[name_index]), sort_key(str(r[tiebreak_index] or ""))))


def _local_date(value: datetime | None) -> date | None:
    return to_local(value).date() if value else None


# --- permissions ---------------------------------------------------------------------------------


def contest_for_user(user, slug: str) -> Contest:
    """404 when missing; 403 for anyone who does not organise it (co-organisers: their own only)."""
    return contests.get_contest_for_organiser(user, slug)


def round_of(contest: Contest, position: int) -> Round:
    """The contest's round number `position` (1 = first round), as organisers count them."""
    rounds = judging.contest_rounds(contest)
    if not 1 <= position <= len(rounds):
        raise NotFound(f"Cuộc thi này không có vòng {position} (có {len(rounds)} vòng).")
    return rounds[position - 1]


def round_for_user(user, round_id: int) -> Round:
    return judging.get_round_for_organiser(user, round_id)


def event_for_user(user, slug: str) -> Event:
    """404 when missing; 403 unless the user manages the event (the events package's rule: the
    linked contest's organisers and the Sở-wide ones; an unlinked event, the Sở-wide ones only)."""
    return events.get_event_for_manager(user, slug)


def require_report_access(user) -> None:
    """The annual report and the data-request queue cover every contest: Sở staff and admins only."""
    if not contests.is_global_organiser(user):
        raise PermissionDenied("Chỉ cán bộ Sở hoặc quản trị hệ thống được xem báo cáo tổng hợp toàn tỉnh.")


def get_contest(slug: str) -> Contest:
    return contests.get_contest(slug)


def get_event(slug: str) -> Event:
    return events.get_event(slug)


# --- results of a round ---------------------------------------------------------------------------


def _decision_label(results: judging.RoundResults, entry_id) -> str:
    if results.advancement is None:
        return ""
    try:
        decision = results.advancement.of(entry_id)
    except KeyError:
        return ""
    if decision.advances is None:
        return "Chờ quyết định (đồng hạng)"
    text = "Đi tiếp" if decision.advances else "Dừng"
    if decision.override is not None:
        text += " (quyết định của BTC)"
    return text


def results_export(round_: Round) -> Export:
    """Ranking sheet, per-judge × per-criterion sheet and the method sheet of a round."""
    results = judging.compute_results(round_)
    contest = round_.contest
    if results.ranking is None:
        raise Invalid(results.refused or "Chưa tính được kết quả của vòng này.")
    ranking = results.ranking
    judges = sorted(judging.round_judges(round_), key=lambda j: name_sort_key(j.full_name))
    status = "Kết quả đã công bố" if round_.published_at else "Kết quả tạm tính (chưa công bố)"
    subtitle = [contest.name, f"{status} – phương pháp: {ranking.method.label}"]

    # The export uses only the chosen method's ranking: let the other methods' go before writing.
    results.comparison = None
    # Leaders' names in one query (Entry.leader_member would load each entry's team, one by one):
    # the first leader in Entry.members order, as leader_member picks.
    leaders: dict[int, str] = {}
    for entry_id, name in db.session.execute(
        select(TeamMember.entry_id, TeamMember.full_name)
        .join(RoundEntry, RoundEntry.entry_id == TeamMember.entry_id)
        .where(RoundEntry.round_id == round_.id, TeamMember.is_leader)
        .order_by(TeamMember.position, TeamMember.id)
    ):
        leaders.setdefault(entry_id, name)

    def ranking_rows() -> Iterator[list[Any]]:
        for ranked in ranking.rows():
            entry = results.entries[ranked.entry.id]
            prizes = ", ".join(a.prize_name for a in results.prizes.of(entry.id)) if results.prizes else ""
            yield [
                entry.code or "",
                entry.title,
                ranked.entry.track,
                leaders.get(entry.id, ""),
                *[
                    scoring.present(ranked.judge_totals[j.id]) if j.id in ranked.judge_totals else None
                    for j in judges
                ],
                ranked.shown_score,
                ranked.rank,
                _decision_label(results, entry.id),
                prizes,
            ]

    ranking_sheet = Sheet(
        "Xếp hạng",
        f"Kết quả {round_.name} – {contest.name}",
        [
            Column("Mã hồ sơ", width=12),
            Column("Tên ý tưởng", width=34),
            Column("Bảng", width=14),
            Column("Trưởng nhóm", width=20),
            *[Column(f"GK {j.full_name}", "decimal", width=11) for j in judges],
            Column("Điểm tổng hợp", "decimal", width=10),
            Column("Hạng", "int", width=7),
            Column("Đi tiếp", width=14),
            Column("Giải", width=14),
        ],
        ranking_rows(),
        subtitle=subtitle,
        signature=Signature(left_title="Thư ký hội đồng", right_title="Chủ tịch hội đồng"),
    )

    rubric = judging.rubric_of(round_)
    # Streamed plain columns, not Assignment objects: a 10,000-entry round has 70,000 sheets. The
    # database orders them by entry; the few sheets of one entry are put in judges' name order here.
    judge_names = {j.id: j.full_name for j in judging.round_judges(round_)}
    judge_keys = {j: name_sort_key(name) for j, name in judge_names.items()}
    ranked_by_entry = {row.entry.id: row for row in ranking.rows()}
    status_labels = {s.value: SHEET_STATUS_LABELS[s] for s in SheetStatus}
    sheets_stmt = (
        select(
            Assignment.entry_id,
            Assignment.judge_id,
            Assignment.status,
            Assignment.scores,
            Assignment.submitted_at,
        )
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.round_id == round_.id)
        .order_by(Entry.code_number, Entry.id)
        .execution_options(yield_per=2000)
    )

    def judge_row(entry_id, judge_id, status, scores, submitted_at) -> list[Any]:
        entry = results.entries[entry_id]
        submitted = status == SheetStatus.SUBMITTED.value
        values: dict[str, Decimal] = {}
        if submitted:
            try:
                values = scoring.validate_sheet(rubric, scores, submit=True)
            except scoring.ScoringError:
                values = {}
        ranked = ranked_by_entry.get(entry_id)
        return [
            entry.code or "",
            entry.title,
            judge_names.get(judge_id, ""),
            status_labels.get(status, status),
            *[values.get(c.id) for c in rubric.criteria],
            ranked.judge_totals.get(judge_id) if ranked is not None and values else None,
            submitted_at if submitted else None,
        ]

    def judge_rows() -> Iterator[list[Any]]:
        group: list[tuple] = []
        for row in db.session.execute(sheets_stmt):
            if group and row[0] != group[0][0]:
                yield from (
                    judge_row(*r) for r in sorted(group, key=lambda r: (judge_keys.get(r[1], ()), r[1]))
                )
                group = []
            group.append(tuple(row))
        yield from (judge_row(*r) for r in sorted(group, key=lambda r: (judge_keys.get(r[1], ()), r[1])))

    judge_sheet = Sheet(
        "Điểm từng giám khảo",
        f"Điểm chi tiết theo giám khảo và tiêu chí – {round_.name}",
        [
            Column("Mã hồ sơ", width=12),
            Column("Tên ý tưởng", width=28),
            Column("Giám khảo", width=20),
            Column("Phiếu", width=11),
            *[
                Column(f"{c.name} (tối đa {scoring.format_score(c.high, 0)})", "decimal", width=12)
                for c in rubric.criteria
            ],
            Column("Tổng", "decimal", width=9),
            Column("Nộp lúc", "datetime"),
        ],
        judge_rows(),
        subtitle=[contest.name, "Chỉ phiếu đã nộp mới có điểm; phiếu nháp và chưa chấm để trống."],
    )

    rule = judging.advancement_rule(round_)
    rule_parts = []
    if rule.top_n:
        rule_parts.append(f"{rule.top_n} hồ sơ điểm cao nhất mỗi bảng")
    if rule.min_average is not None:
        rule_parts.append(
            f"điểm trung bình của giám khảo từ {scoring.format_score(rule.min_average)} trở lên"
        )
    if rule.no_zero_criterion:
        rule_parts.append("không có tiêu chí nào bị chấm 0 điểm")
    tie_labels = [scoring.TieBreak(k["kind"], k.get("ref")).label(ranking.data) for k in round_.tie_breaks]
    items = [
        ("Cuộc thi", contest.name),
        ("Vòng chấm", round_.name),
        ("Phương pháp tổng hợp điểm", ranking.method.label),
        (
            "Cách tính",
            "Điểm của mỗi giám khảo là tổng điểm các tiêu chí (tiêu chí thang 1–5 nhân hệ số). "
            + {
                scoring.Method.MEAN: "Điểm tổng hợp là trung bình cộng điểm các giám khảo.",
                scoring.Method.TRIMMED_MEAN: "Khi có từ 5 giám khảo, bỏ một điểm cao nhất và một điểm thấp "
                "nhất rồi lấy trung bình; ít hơn 5 giám khảo thì lấy trung bình cộng.",
                scoring.Method.ZSCORE: "Điểm của mỗi giám khảo được chuẩn hoá theo trung bình và độ lệch "
                "chuẩn của chính giám khảo đó, rồi quy về thang điểm chung.",
            }[ranking.method]
            + " Điểm hiển thị làm tròn 2 chữ số thập phân.",
        ),
        (
            "Thang điểm",
            "; ".join(f"{c.name}: tối đa {scoring.format_score(c.high, 0)}" for c in rubric.criteria),
        ),
        ("Điều kiện đi tiếp", "; ".join(rule_parts) or "Không đặt điều kiện"),
        ("Phân định đồng hạng", " → ".join(tie_labels) or "Không đặt"),
        ("Số giám khảo mỗi hồ sơ", str(round_.judges_per_entry)),
        ("Chế độ chấm", "Chấm ẩn danh (giám khảo không thấy tên nhóm)" if round_.blind else "Chấm công khai"),
        ("Trạng thái", status),
    ]
    if results.overrides:
        items.append(
            (
                "Quyết định thủ công của BTC",
                "; ".join(
                    f"{results.entries[o.entry_id].code}: {'đi tiếp' if o.advance else 'dừng'} – {o.reason}"
                    for o in results.overrides.values()
                    if o.entry_id in results.entries
                ),
            )
        )
    if results.blockers:
        items.append(("Lưu ý", " ".join(results.blockers)))
    method_sheet = NotesSheet(
        "Phương pháp", f"Phương pháp tính điểm – {round_.name}", items, subtitle=[contest.name]
    )
    return Export(
        f"ket-qua-{contest.slug}-vong-{round_.position}.xlsx", [ranking_sheet, judge_sheet, method_sheet]
    )


# --- entries with their teams ---------------------------------------------------------------------


def _entries_of(contest: Contest, include_drafts: bool = False) -> list[Entry]:
    stmt = select(Entry).where(Entry.contest_id == contest.id).options(selectinload(Entry.members))
    if not include_drafts:
        stmt = stmt.where(Entry.status != EntryStatus.DRAFT.value)
    return list(db.session.scalars(stmt))


def entries_export(contest: Contest) -> Export:
    """One row per entry (by code) and a members sheet (people in Vietnamese order)."""
    entries = sorted(_entries_of(contest), key=lambda e: (e.code_number or 10**9, e.id))
    entry_rows = []
    member_rows = []
    for entry in entries:
        leader = entry.leader_member
        entry_rows.append(
            [
                entry.code or "",
                entry.title,
                entry.track.name if entry.track else "",
                entry.field,
                leader.full_name if leader else "",
                leader.phone_display if leader else "",
                leader.email if leader else "",
                entry.organisation,
                entry.commune_name,
                len(entry.members),
                entry.status_label,
                "Hồ sơ giấy" if entry.is_paper else "Trực tuyến",
                _local_date(entry.submitted_at),
            ]
        )
        for member in entry.members:
            member_rows.append(
                (
                    member.full_name,
                    member.birth_date,
                    member.sex_label,
                    member.phone_display,
                    member.email,
                    member.organisation,
                    member.commune_name,
                    member.district_name,
                    "Trưởng nhóm" if member.is_leader else "Thành viên",
                    entry.code or "",
                    entry.title,
                )
            )
    subtitle = [f"Trích xuất ngày {to_local(utcnow()):%d/%m/%Y %H:%M}"]
    return Export(
        f"ho-so-{contest.slug}.xlsx",
        [
            Sheet(
                "Hồ sơ",
                f"Danh sách hồ sơ dự thi – {contest.name}",
                [
                    Column("Mã hồ sơ", width=12),
                    Column("Tên ý tưởng", width=32),
                    Column("Bảng", width=14),
                    Column("Lĩnh vực", width=16),
                    Column("Trưởng nhóm", width=20),
                    Column("Điện thoại", width=13),
                    Column("Email", width=22),
                    Column("Đơn vị", width=22),
                    Column("Xã/phường", width=16),
                    Column("Số thành viên", "int", width=9),
                    Column("Trạng thái", width=13),
                    Column("Hình thức nộp", width=11),
                    Column("Ngày nộp", "date"),
                ],
                entry_rows,
                subtitle=subtitle,
            ),
            Sheet(
                "Thành viên",
                f"Danh sách thành viên các nhóm – {contest.name}",
                [
                    Column("Họ và tên", width=22),
                    Column("Ngày sinh", "date"),
                    Column("Giới tính", width=8),
                    Column("Điện thoại", width=13),
                    Column("Email", width=22),
                    Column("Đơn vị", width=22),
                    Column("Xã/phường", width=16),
                    Column("Huyện (trước 2025)", width=14),
                    Column("Vai trò", width=11),
                    Column("Mã hồ sơ", width=12),
                    Column("Tên ý tưởng", width=28),
                ],
                _sorted_people(member_rows, 0, 9),
                subtitle=subtitle,
            ),
        ],
    )


# --- judges' progress -----------------------------------------------------------------------------


def judges_export(round_: Round) -> Export:
    """Per judge: assigned, submitted, drafts, missing codes (judges in Vietnamese order)."""
    progress = judging.round_progress(round_)
    rows = [
        (
            p.judge.full_name,
            p.judge.email,
            p.assigned,
            p.submitted,
            p.drafts,
            p.assigned - p.submitted,
            (p.submitted / p.assigned) if p.assigned else None,
            ", ".join(e.code or "" for e in p.missing),
        )
        for p in progress.judges
    ]
    return Export(
        f"tien-do-cham-{round_.contest.slug}-vong-{round_.position}.xlsx",
        [
            Sheet(
                "Tiến độ chấm",
                f"Tiến độ chấm {round_.name} – {round_.contest.name}",
                [
                    Column("Giám khảo", width=22),
                    Column("Email", width=24),
                    Column("Được giao", "int"),
                    Column("Đã nộp", "int"),
                    Column("Bản nháp", "int"),
                    Column("Còn thiếu", "int"),
                    Column("Tỷ lệ hoàn thành", "percent", width=11),
                    Column("Hồ sơ chưa nộp", width=36),
                ],
                _sorted_people(rows, 0, 1),
                subtitle=[f"Đã nộp {progress.submitted}/{progress.total} phiếu được giao"],
                totals=[
                    "Tổng cộng",
                    "",
                    progress.total,
                    progress.submitted,
                    sum(p.drafts for p in progress.judges),
                    progress.total - progress.submitted,
                    (progress.submitted / progress.total) if progress.total else None,
                    "",
                ],
            )
        ],
    )


# --- event registrations and check-ins ------------------------------------------------------------


def attendance_export(event: Event) -> Export:
    """Registrations (people in Vietnamese order) and check-ins (time order, with gate and staff).
    Plain column queries, not ORM objects: 50,000 attendees stay a list of small tuples."""
    first_checkin: dict[int, tuple] = {}
    checkin_rows = []
    stmt = (
        select(
            Checkin.at,
            Checkin.attendee_id,
            Checkin.gate,
            Checkin.undone_at,
            Checkin.undo_reason,
            Attendee.full_name,
            Attendee.category,
            Attendee.organisation,
            User.full_name,
            DeviceToken.name,
        )
        .join(Attendee, Attendee.id == Checkin.attendee_id)
        .outerjoin(User, User.id == Checkin.staff_id)
        .outerjoin(DeviceToken, DeviceToken.id == Checkin.device_id)
        .where(Checkin.event_id == event.id)
        .order_by(Checkin.at, Checkin.id)
    )
    for at, attendee_id, gate, undone_at, reason, name, category, org, staff, device in db.session.execute(
        stmt
    ):
        if undone_at is None:
            first_checkin.setdefault(attendee_id, (at, gate))
        staff_label = staff or (f"Thiết bị: {device}" if device else "")
        checkin_rows.append(
            [at, name, category, org, gate, staff_label, "Đã huỷ" if undone_at else "Hợp lệ", reason]
        )
    registration_rows = []
    stmt = select(
        Attendee.id,
        Attendee.full_name,
        Attendee.phone,
        Attendee.email,
        Attendee.organisation,
        Attendee.category,
        Attendee.group_name,
        Attendee.source,
        Attendee.created_at,
        Attendee.cancelled_at,
    ).where(Attendee.event_id == event.id)
    for (
        attendee_id,
        name,
        phone,
        email,
        org,
        category,
        group,
        source,
        created,
        cancelled,
    ) in db.session.execute(stmt):
        checked = first_checkin.get(attendee_id)
        registration_rows.append(
            (
                name,
                format_phone(phone),
                email or "",
                org,
                category,
                group,
                SOURCES.get(source, source),
                created,
                "Đã huỷ đăng ký" if cancelled else "Đã đăng ký",
                checked[0] if checked else None,
                checked[1] if checked else "",
            )
        )
    active = [r for r in registration_rows if r[8] == "Đã đăng ký"]
    by_hour = checkins_by_hour_and_gate(event)
    subtitle = [
        f"{event.venue} – {to_local(event.starts_at):%d/%m/%Y}",
        f"Đăng ký: {len(active)} – Đã check-in: {len(first_checkin)}",
    ]
    return Export(
        f"tham-du-{event.slug}.xlsx",
        [
            Sheet(
                "Đăng ký",
                f"Danh sách đăng ký tham dự – {event.name}",
                [
                    Column("Họ và tên", width=22),
                    Column("Điện thoại", width=13),
                    Column("Email", width=22),
                    Column("Đơn vị", width=24),
                    Column("Loại khách", width=16),
                    Column("Đoàn", width=16),
                    Column("Nguồn", width=12),
                    Column("Đăng ký lúc", "datetime"),
                    Column("Trạng thái", width=13),
                    Column("Check-in lúc", "datetime"),
                    Column("Cổng", width=9),
                ],
                _sorted_people(registration_rows, 0, 1),
                subtitle=subtitle,
            ),
            Sheet(
                "Theo giờ và cổng",
                f"Lượt check-in theo giờ và cổng – {event.name}",
                [Column("Ngày", "date"), Column("Khung giờ", width=13)]
                + [Column(g, "int", width=10) for g in by_hour["gates"]]
                + [Column("Tổng", "int", width=10)],
                [
                    [
                        hour.date(),
                        f"{hour:%H}:00–{hour.hour + 1:02d}:00",
                        *[series[i] for series in by_hour["series"]],
                        sum(series[i] for series in by_hour["series"]),
                    ]
                    for i, hour in enumerate(by_hour["hours"])
                ],
                subtitle=subtitle,
                totals=[None, "Tổng cộng", *[sum(series) for series in by_hour["series"]], by_hour["total"]],
            ),
            Sheet(
                "Check-in",
                f"Nhật ký check-in – {event.name}",
                [
                    Column("Thời gian", "datetime"),
                    Column("Họ và tên", width=22),
                    Column("Loại khách", width=16),
                    Column("Đơn vị", width=24),
                    Column("Cổng", width=10),
                    Column("Người quét", width=20),
                    Column("Trạng thái", width=10),
                    Column("Lý do huỷ", width=22),
                ],
                checkin_rows,
                subtitle=subtitle,
            ),
        ],
    )


# --- data-request queue ---------------------------------------------------------------------------


def requests_export(status: str = "") -> Export:
    """The queue of personal-data requests, soonest due first (the queue's order)."""
    stmt = select(DataRequest).order_by(DataRequest.due_at, DataRequest.id)
    if status:
        if status not in REQUEST_STATUSES:
            raise Invalid("Trạng thái yêu cầu không hợp lệ.", field="status")
        stmt = stmt.where(DataRequest.status == status)
    now = utcnow()
    rows = [
        [
            r.requester_name,
            r.requester_email,
            REQUEST_KINDS.get(r.kind, r.kind),
            r.details,
            r.created_at,
            r.due_at,
            REQUEST_STATUSES.get(r.status, r.status),
            "Quá hạn" if r.status == "open" and r.due_at < now else "",
            r.resolved_at,
            r.resolution_note,
        ]
        for r in db.session.scalars(stmt)
    ]
    return Export(
        "yeu-cau-du-lieu-ca-nhan.xlsx",
        [
            Sheet(
                "Yêu cầu dữ liệu",
                "Danh sách yêu cầu về dữ liệu cá nhân",
                [
                    Column("Người yêu cầu", width=20),
                    Column("Email", width=22),
                    Column("Loại yêu cầu", width=18),
                    Column("Nội dung", width=30),
                    Column("Gửi lúc", "datetime"),
                    Column("Hạn xử lý", "datetime"),
                    Column("Trạng thái", width=14),
                    Column("Quá hạn", width=9),
                    Column("Xử lý lúc", "datetime"),
                    Column("Kết quả xử lý", width=24),
                ],
                rows,
                subtitle=["Theo Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị định 356/2025/NĐ-CP"],
            )
        ],
    )


# --- annual report --------------------------------------------------------------------------------

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
    if birth is None:
        return UNKNOWN
    age = contests.age_on(birth, on)
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
class YearData:
    """The year's figures, computed once for the report workbook and the dashboard."""

    year: int
    contests: list[Contest]
    entries: list[Entry]
    events: list[Event] = field(default_factory=list)


def year_data(year: int) -> YearData:
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


def _count_table(entries: list[Entry], key_entry, key_member) -> dict[str, list[int]]:
    """label → [entries, distinct participants]."""
    entry_counts: Counter = Counter()
    people: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if key_entry is not None:
            entry_counts[key_entry(entry)] += 1
        for member in entry.members:
            people[key_member(entry, member)].add(_person_key(member))
    labels = list(dict.fromkeys([*entry_counts, *people]))
    return {label: [entry_counts.get(label, 0), len(people.get(label, ()))] for label in labels}


def _rows_with_share(table: dict[str, list[int]], order: list[str] | None = None, with_entries: bool = True):
    total_people = sum(v[1] for v in table.values())
    labels = order or sorted(table, key=lambda k: (k == UNKNOWN, sort_key(k)))
    rows = []
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
    registered = dict(
        db.session.execute(
            select(Attendee.event_id, func.count())
            .where(Attendee.event_id.in_(event_ids), Attendee.cancelled_at.is_(None))
            .group_by(Attendee.event_id)
        ).all()
    )
    checked = dict(
        db.session.execute(
            select(Checkin.event_id, func.count(func.distinct(Checkin.attendee_id)))
            .where(Checkin.event_id.in_(event_ids), Checkin.undone_at.is_(None))
            .group_by(Checkin.event_id)
        ).all()
    )
    return {i: (registered.get(i, 0), checked.get(i, 0)) for i in event_ids}


def target_rows(year: int, data: YearData) -> list[dict]:
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


def save_targets(actor, year: int, values: dict[str, dict]) -> None:
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
        row.note = " ".join((item.get("note") or "").split())[:500]
        row.updated_by_id, row.updated_at = actor.id, utcnow()
    record(actor, "exports.targets_save", "plan_targets", year, values=values)
    db.session.commit()


def report_export(year: int) -> Export:
    """The annual summary workbook for the Sở's reports (UBND tỉnh before 10/12, Bộ before 20/12)."""
    data = year_data(year)
    entries = data.entries
    closing = {c.id: contests.closing_date(c) for c in data.contests}
    subtitle = [f"Năm {year} – số liệu đến ngày {to_local(utcnow()):%d/%m/%Y}"]
    # Narrow tables leave too little room for the national motto in the right header block:
    # count columns are 18 wide and label columns 40, so the right block has ~50 units.
    int_col = lambda h: Column(h, "int", width=18)  # noqa: E731
    share_col = Column("Tỷ lệ", "percent", width=14)

    # By contest; attendees are those checked in at the events linked to the contest (the final).
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
    contest_sheet = Sheet(
        "Theo cuộc thi",
        f"Tổng hợp hồ sơ và người tham gia các cuộc thi năm {year}",
        [
            Column("Cuộc thi", width=40),
            int_col("Hồ sơ đã nộp"),
            int_col("Hồ sơ hợp lệ"),
            int_col("Vào chung kết"),
            int_col("Đạt giải"),
            int_col("Người tham gia"),
            int_col("Hồ sơ giấy"),
            int_col("Người dự sự kiện của cuộc thi"),
        ],
        by_contest,
        subtitle=subtitle
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

    contest_names = {c.id: c.name for c in data.contests}
    track_table: dict[tuple[str, str], list] = {}
    for e in entries:
        key = (contest_names[e.contest_id], e.track.name if e.track else "Không chia bảng")
        item = track_table.setdefault(key, [0, set()])
        item[0] += 1
        item[1].update(_person_key(m) for m in e.members)
    track_rows = [[c, t, n, len(p)] for (c, t), (n, p) in track_table.items()]
    track_sheet = Sheet(
        "Theo bảng",
        f"Hồ sơ theo cuộc thi và bảng năm {year}",
        [Column("Cuộc thi", width=40), Column("Bảng", width=20), int_col("Hồ sơ"), int_col("Người tham gia")],
        track_rows,
        subtitle=subtitle,
    )

    def dimension_sheet(name: str, title: str, header: str, table, order=None, note: str = "") -> Sheet:
        rows = _rows_with_share(table, order)
        return Sheet(
            name,
            title,
            [
                Column(header, width=40),
                int_col("Hồ sơ (theo trưởng nhóm)"),
                int_col("Người tham gia"),
                share_col,
            ],
            rows,
            subtitle=subtitle + ([note] if note else []),
            totals=["Tổng cộng", len(entries), sum(r[2] for r in rows), 1.0 if rows else None],
        )

    def leader(entry: Entry) -> TeamMember | None:
        return entry.leader_member

    field_table = _count_table(entries, lambda e: e.field or UNKNOWN, lambda e, m: e.field or UNKNOWN)
    sex_of = lambda m: SEX_LABELS.get(m.sex or "", UNKNOWN) if m else UNKNOWN  # noqa: E731
    sex_table = _count_table(entries, lambda e: sex_of(leader(e)), lambda e, m: sex_of(m))
    age_of = lambda e, m: age_band(m.birth_date, closing[e.contest_id]) if m else UNKNOWN  # noqa: E731
    age_table = _count_table(entries, lambda e: age_of(e, leader(e)), age_of)
    org_table = _count_table(
        entries, lambda e: organisation_type(e.organisation), lambda e, m: organisation_type(m.organisation)
    )
    commune_table = _count_table(
        entries, lambda e: e.commune_name or UNKNOWN, lambda e, m: m.commune_name or UNKNOWN
    )
    district_table = _count_table(
        entries,
        lambda e: (leader(e).district_name if leader(e) else "") or UNKNOWN,
        lambda e, m: m.district_name or UNKNOWN,
    )
    age_order = [label for _, _, label in AGE_BANDS] + [UNKNOWN]
    sex_order = [*SEX_LABELS.values(), UNKNOWN]
    org_order = [label for label, _ in ORGANISATION_TYPES] + [ORGANISATION_TYPE_OTHER, ORGANISATION_TYPE_NONE]

    # Ethnicity: consenting people only, aggregate, small cells hidden.
    members = [m for e in entries for m in e.members]
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
    shown = suppress_small(eth_counts)
    gave = set().union(*eth_people.values()) if eth_people else set()
    hidden = [k for k, v in shown.items() if v is None]
    eth_total: int | None = len(gave)
    # A lone hidden group (nothing else to hide with it) would equal the total minus the rest.
    if len(hidden) == 1 or 0 < len(gave) < SMALL_CELL:
        eth_total = None
    eth_rows = []
    for label in sorted(eth_counts, key=sort_key):
        value = shown[label]
        why = "" if value is not None else f"Ẩn: dưới {SMALL_CELL} người hoặc có thể suy ra từ ô khác"
        eth_rows.append([label, value, why])
    eth_sheet = Sheet(
        "Theo dân tộc",
        f"Người tham gia theo dân tộc năm {year} (số liệu tổng hợp)",
        [Column("Dân tộc", width=30), int_col("Người tham gia"), Column("Ghi chú", width=56)],
        eth_rows,
        subtitle=subtitle
        + [
            "Chỉ gồm người đã đồng ý dùng thông tin dân tộc để thống kê (dữ liệu nhạy cảm, Nghị định 356/2025/NĐ-CP)",
        ],
        totals=[
            "Tổng (đồng ý và có khai)",
            eth_total,
            f"Không đồng ý hoặc không cung cấp: {len(not_given - gave)} người"
            + (
                ""
                if eth_total is not None
                else f". Tổng ẩn để không suy ra được nhóm dưới {SMALL_CELL} người"
            ),
        ],
    )

    # Events and attendance
    stats = checkins_per_event([e.id for e in data.events])
    attendee_orgs: Counter = Counter()
    attendee_present: Counter = Counter()
    if data.events:
        present = (
            select(Checkin.id).where(Checkin.attendee_id == Attendee.id, Checkin.undone_at.is_(None)).exists()
        )
        for org, was_there in db.session.execute(
            select(Attendee.organisation, present).where(
                Attendee.event_id.in_([e.id for e in data.events]), Attendee.cancelled_at.is_(None)
            )
        ):
            attendee_orgs[organisation_type(org)] += 1
            attendee_present[organisation_type(org)] += 1 if was_there else 0
    event_rows = []
    for event in data.events:
        registered, checked = stats[event.id]
        event_rows.append(
            [
                event.name,
                _local_date(event.starts_at),
                event.venue,
                event.capacity,
                registered,
                checked,
                (checked / registered) if registered else None,
            ]
        )
    event_sheet = Sheet(
        "Sự kiện",
        f"Các sự kiện đã tổ chức và số người tham dự năm {year}",
        [
            Column("Sự kiện", width=36),
            Column("Ngày", "date"),
            Column("Địa điểm", width=26),
            int_col("Sức chứa"),
            int_col("Đăng ký"),
            int_col("Có mặt (check-in)"),
            Column("Tỷ lệ có mặt", "percent", width=10),
        ],
        event_rows,
        subtitle=subtitle,
        totals=[
            f"Tổng cộng: {len(event_rows)} sự kiện",
            None,
            "",
            None,
            sum(r[4] for r in event_rows),
            sum(r[5] for r in event_rows),
            (sum(r[5] for r in event_rows) / sum(r[4] for r in event_rows))
            if sum(r[4] for r in event_rows)
            else None,
        ],
    )
    total_att = sum(attendee_orgs.values())
    attendee_org_sheet = Sheet(
        "Người dự theo đơn vị",
        f"Người đăng ký tham dự sự kiện theo loại đơn vị năm {year}",
        [Column("Loại đơn vị", width=40), int_col("Người đăng ký"), int_col("Có mặt (check-in)"), share_col],
        [
            [k, attendee_orgs[k], attendee_present[k], attendee_orgs[k] / total_att]
            for k in org_order
            if attendee_orgs.get(k)
        ],
        subtitle=subtitle,
        totals=["Tổng cộng", total_att, sum(attendee_present.values()), 1.0 if total_att else None],
    )

    targets = target_rows(year, data)
    target_sheet = Sheet(
        "Chỉ tiêu kế hoạch",
        f"Kết quả thực hiện chỉ tiêu kế hoạch KNĐMST năm {year}",
        [
            Column("Chỉ tiêu", width=40),
            int_col("Kế hoạch"),
            int_col("Thực hiện"),
            Column("Tỷ lệ hoàn thành", "percent", width=11),
            Column("Nguồn số liệu", width=46),
        ],
        [[t["label"], t["target"], t["actual"], t["share"], t["source"]] for t in targets],
        subtitle=subtitle,
    )

    sheets: list[Sheet | NotesSheet] = [
        contest_sheet,
        track_sheet,
        dimension_sheet(
            "Theo lĩnh vực", f"Hồ sơ và người tham gia theo lĩnh vực năm {year}", "Lĩnh vực", field_table
        ),
        dimension_sheet(
            "Theo giới tính", f"Người tham gia theo giới tính năm {year}", "Giới tính", sex_table, sex_order
        ),
        dimension_sheet(
            "Theo độ tuổi",
            f"Người tham gia theo độ tuổi năm {year}",
            "Nhóm tuổi",
            age_table,
            age_order,
            "Tuổi tính đến ngày hết hạn nộp hồ sơ của cuộc thi",
        ),
        dimension_sheet(
            "Theo loại đơn vị",
            f"Người tham gia theo loại đơn vị năm {year}",
            "Loại đơn vị",
            org_table,
            org_order,
            "Phân loại theo tên đơn vị người tham gia khai",
        ),
        dimension_sheet(
            "Theo xã phường",
            f"Hồ sơ và người tham gia theo xã, phường năm {year}",
            "Xã/phường/đặc khu",
            commune_table,
        ),
    ]
    if year <= 2025:
        sheets.append(
            dimension_sheet(
                "Theo huyện (cũ)",
                f"Người tham gia theo đơn vị hành chính cấp huyện cũ năm {year}",
                "Huyện/thị xã/thành phố (trước 01/07/2025)",
                district_table,
                note="Hồ sơ năm 2024 giữ huyện cũ theo địa giới trước khi sắp xếp",
            )
        )
    sheets += [eth_sheet, event_sheet, attendee_org_sheet, target_sheet]
    return Export(f"bao-cao-kndmst-{year}.xlsx", sheets)


# --- dashboard ------------------------------------------------------------------------------------


def submissions_over_time(contest: Contest) -> dict:
    """Cumulative submitted entries per local day, from the first submission to the deadline."""
    days: Counter = Counter()
    for (at,) in db.session.execute(
        select(Entry.submitted_at).where(Entry.contest_id == contest.id, Entry.submitted_at.is_not(None))
    ):
        days[to_local(at).date()] += 1
    deadline = to_local(contest.closes_at).date()
    if not days:
        return {
            "dates": [],
            "labels": [],
            "daily": [],
            "cumulative": [],
            "deadline": deadline.strftime("%d/%m/%Y"),
        }
    start, end = min(days), max(max(days), deadline)
    if (end - start).days > 400:  # a long-open contest: keep the chart readable
        start = end - timedelta(days=400)
    labels, daily, cumulative, running = [], [], [], sum(n for d, n in days.items() if d < start)
    dates = []
    day = start
    while day <= end:
        running += days.get(day, 0)
        dates.append(day)
        labels.append(day.strftime("%d/%m"))
        daily.append(days.get(day, 0))
        cumulative.append(running)
        day += timedelta(days=1)
    return {
        "dates": dates,
        "labels": labels,
        "daily": daily,
        "cumulative": cumulative,
        "deadline": deadline.strftime("%d/%m/%Y"),
        "deadline_label": deadline.strftime("%d/%m"),
    }


def contest_breakdowns(contest: Contest, *, full: bool = False) -> dict[str, list[tuple[str, int]]]:
    """Counted entries by field and commune; participants by sex (largest first). Charts get the
    11 biggest communes and "the others"; `full` keeps every commune (the export)."""
    entries = [e for e in _entries_of(contest) if e.status in COUNTED_STATES]
    by_field = Counter(e.field or UNKNOWN for e in entries)
    by_commune = Counter(e.commune_name or UNKNOWN for e in entries)
    by_sex = Counter(SEX_LABELS.get(m.sex or "", UNKNOWN) for e in entries for m in e.members)
    top = lambda c: sorted(c.items(), key=lambda kv: (-kv[1], sort_key(kv[0])))  # noqa: E731
    communes = top(by_commune)
    if len(communes) > 12 and not full:
        communes = communes[:11] + [("Các xã khác", sum(n for _, n in communes[11:]))]
    return {"field": top(by_field), "commune": communes, "sex": top(by_sex)}


def judging_overview(contest: Contest) -> list[dict]:
    rows = []
    for round_ in judging.contest_rounds(contest):
        total = (
            db.session.scalar(select(func.count(Assignment.id)).where(Assignment.round_id == round_.id)) or 0
        )
        submitted = (
            db.session.scalar(
                select(func.count(Assignment.id)).where(
                    Assignment.round_id == round_.id, Assignment.status == SheetStatus.SUBMITTED.value
                )
            )
            or 0
        )
        rows.append(
            {
                "round": round_,
                "total": total,
                "submitted": submitted,
                "missing": total - submitted,
                "share": round(100 * submitted / total) if total else 0,
            }
        )
    return rows


def checkins_by_hour_and_gate(event: Event) -> dict:
    """Active check-ins per local hour (rows) and gate (series)."""
    counts: dict[tuple[datetime, str], int] = Counter()
    gates: list[str] = list(event.gates)
    for at, gate in db.session.execute(
        select(Checkin.at, Checkin.gate).where(Checkin.event_id == event.id, Checkin.undone_at.is_(None))
    ):
        gate = gate or "—"
        if gate not in gates:
            gates.append(gate)
        hour = to_local(at).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        counts[(hour, gate)] += 1
    hours = sorted({h for h, _ in counts})
    return {
        "hours": hours,
        "labels": [h.strftime("%d/%m %Hh") for h in hours],
        "gates": gates,
        "series": [[counts.get((h, g), 0) for h in hours] for g in gates],
        "datasets": [{"label": g, "data": [counts.get((h, g), 0) for h in hours]} for g in gates],
        "total": sum(counts.values()),
    }


def dashboard_events(user) -> list[Event]:
    """The events whose attendance this user may see (the same rule as event_for_user)."""
    return events.manageable_events(user)


# --- import of invited guests from .xlsx ----------------------------------------------------------
# Guests of an event (đại biểu, khách mời, báo chí …) reach the Sở as Excel lists from the offices
# that send them; keying 200 names into the form one by one is what organisers most want to avoid.

GUEST_HEADERS = ("Họ và tên", "Số điện thoại", "Email", "Đơn vị", "Loại khách", "Đoàn")
GUEST_FIELDS = {
    "full_name": "Họ và tên",
    "phone": "Số điện thoại",
    "email": "Email",
    "organisation": "Đơn vị",
    "category": "Loại khách",
    "group_name": "Đoàn",
}
IMPORT_TTL = timedelta(hours=6)


@dataclass
class RowCheck:
    number: int
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    clean: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportCheck:
    rows: list[RowCheck]

    @property
    def valid(self) -> list[RowCheck]:
        return [r for r in self.rows if r.ok]

    @property
    def rejected(self) -> list[RowCheck]:
        return [r for r in self.rows if not r.ok]


def guest_template(event: Event) -> bytes:
    from app.exports import xlsx_reader

    categories = list(event.categories)
    return xlsx_reader.template_bytes(
        GUEST_HEADERS,
        examples=[
            ("Nguyễn Văn An", "0905123456", "an.nguyen@example.vn", "UBND xã Tịnh Khê", categories[0], "")
        ],
        notes=[
            f"Danh sách khách mời cho sự kiện: {event.name}.",
            "Điền mỗi khách một dòng ở trang “Danh sách”, giữ nguyên dòng tiêu đề; xoá dòng ví dụ trước khi tải lên.",
            "Họ và tên: bắt buộc, viết có dấu. Số điện thoại: di động Việt Nam (0905 123 456, +84 905 123 456);"
            " mỗi số chỉ đăng ký một lần cho một sự kiện.",
            "Email: không bắt buộc; nếu có, hệ thống có thể gửi vé qua email.",
            "Loại khách: chọn trong danh sách: " + "; ".join(categories) + ".",
            "Đoàn: tên đoàn/đơn vị cử đi (để check-in cả đoàn một lần), có thể để trống.",
            "Trước khi nhập, hệ thống kiểm tra từng dòng và cho xem trước; không có dòng nào được lưu cho tới khi"
            " bạn xác nhận.",
        ],
        choices={"Loại khách": categories},
        widths={
            "Họ và tên": 26,
            "Số điện thoại": 16,
            "Email": 28,
            "Đơn vị": 34,
            "Loại khách": 20,
            "Đoàn": 24,
        },
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        # A phone typed into a number cell lost its leading zero: 905123456 → 0905123456.
        text = str(value)
        return "0" + text if len(text) == 9 else text
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def check_guest_file(event: Event, data: bytes) -> ImportCheck:
    """Read and check every row without writing anything. Invalid for a bad file or template."""
    from app.exports import xlsx_reader

    try:
        rows = xlsx_reader.read_table(data, GUEST_HEADERS)
    except (xlsx_reader.BadFile, xlsx_reader.WrongTemplate) as error:
        raise Invalid(str(error), field="file") from error
    if not rows:
        raise Invalid("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.", field="file")
    existing = set(
        db.session.scalars(
            select(Attendee.phone).where(
                Attendee.event_id == event.id, Attendee.cancelled_at.is_(None), Attendee.phone.is_not(None)
            )
        )
    )
    seen_phones: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    checks = []
    for row in rows:
        check = RowCheck(row.number, {h: _cell_text(v) for h, v in row.values.items()})
        data_row = {name: check.values[header] for name, header in GUEST_FIELDS.items()}
        try:
            clean = events.clean_registration(event, data_row, phone_required=False)
        except Invalid as error:
            label = GUEST_FIELDS.get(error.field or "", "")
            check.errors.append(f"{label}: {error.message}" if label else error.message)
            clean = None
        if clean is not None:
            phone, email = clean["phone"], clean["email"]
            if not phone and not email:
                check.errors.append("Cần số điện thoại hoặc email để gửi vé và liên hệ.")
            if phone and phone in existing:
                check.errors.append("Số điện thoại: đã đăng ký sự kiện này từ trước.")
            elif phone and phone in seen_phones:
                check.errors.append(f"Số điện thoại: trùng với dòng {seen_phones[phone]}.")
            if email and email in seen_emails:
                check.errors.append(f"Email: trùng với dòng {seen_emails[email]}.")
            if not check.errors:
                check.clean = clean
                if phone:
                    seen_phones[phone] = row.number
                if email:
                    seen_emails[email] = row.number
        checks.append(check)
    places = event.places_left
    if places is not None:
        valid = [c for c in checks if c.ok]
        for c in valid[places:]:
            c.errors.append(f"Sự kiện chỉ còn {places} chỗ: dòng này vượt quá sức chứa.")
            c.clean = None
    return ImportCheck(checks)


@dataclass
class ImportResult:
    imported: list[Attendee]
    rejected: list[RowCheck]
    emailed: int = 0


def import_guests(
    actor,
    event: Event,
    data: bytes,
    *,
    all_or_nothing: bool,
    consent_confirmed: bool,
    send_tickets: bool = False,
) -> ImportResult:
    """Register every valid row as a guest, in ONE transaction: nothing is saved if any write fails,
    and with all_or_nothing nothing is saved when any row is bad."""
    events.require_manager(actor, event)
    if not consent_confirmed:
        raise Invalid(
            "Hãy xác nhận các khách trong danh sách đã đồng ý cho Ban tổ chức xử lý thông tin đăng ký.",
            field="consent",
        )
    check = check_guest_file(event, data)
    if all_or_nothing and check.rejected:
        raise Invalid(
            f"Không nhập dòng nào: {len(check.rejected)} dòng có lỗi và bạn đã chọn “chỉ nhập khi mọi dòng hợp lệ”.",
            field="file",
        )
    if not check.valid:
        raise Invalid("Không có dòng hợp lệ nào để nhập.", field="file")
    choices = {"process_registration": True, "newsletter": False}
    imported: list[Attendee] = []
    try:
        for row in check.valid:
            imported.append(
                events.add_registration(event, row.clean, source="organiser", actor=actor, choices=choices)
            )
        record(
            actor,
            "exports.import_guests",
            "event",
            event.id,
            imported=len(imported),
            rejected=len(check.rejected),
            all_or_nothing=all_or_nothing,
        )
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        message = error.message if isinstance(error, DomainError) else ""
        raise Conflict(
            "Không nhập được danh sách, chưa có dòng nào được lưu. " + (message or "Vui lòng thử lại."),
            code="import_failed",
        ) from error
    emailed = 0
    if send_tickets:
        for attendee in imported:
            if attendee.email and events.send_ticket_email(attendee):
                emailed += 1
    return ImportResult(imported, check.rejected, emailed)


def rejected_rows_export(event: Event, check: ImportCheck) -> Export:
    rows = [
        [r.number, *[r.values.get(h, "") for h in GUEST_HEADERS], " ".join(r.errors)] for r in check.rejected
    ]
    return Export(
        f"dong-bi-loai-{event.slug}.xlsx",
        [
            Sheet(
                "Dòng bị loại",
                f"Các dòng không nhập được – {event.name}",
                [Column("Dòng trong tệp", "int", width=8)]
                + [Column(h, width=18) for h in GUEST_HEADERS]
                + [Column("Lý do", width=40)],
                rows,
                subtitle=["Sửa các dòng này trong tệp gốc rồi tải lên lại"],
                signature=None,
            )
        ],
    )


def _stash_dir() -> str:
    from flask import current_app

    path = os.path.join(current_app.instance_path, "imports")
    os.makedirs(path, exist_ok=True)
    return path


def stash_upload(user, event: Event, data: bytes) -> str:
    """Keep an uploaded list between the preview and the confirmation (6 hours, this user only)."""
    import json
    import secrets
    import time

    folder = _stash_dir()
    for name in os.listdir(folder):  # forget old uploads
        full = os.path.join(folder, name)
        if time.time() - os.path.getmtime(full) > IMPORT_TTL.total_seconds():
            os.remove(full)
    token = secrets.token_urlsafe(18)
    with open(os.path.join(folder, f"{token}.xlsx"), "wb") as handle:
        handle.write(data)
    with open(os.path.join(folder, f"{token}.json"), "w", encoding="utf-8") as handle:
        json.dump({"user": user.id, "event": event.id}, handle)
    return token


def load_upload(user, event: Event, token: str) -> bytes:
    import json
    import re

    if not re.fullmatch(r"[A-Za-z0-9_-]{20,40}", token or ""):
        raise NotFound("Không tìm thấy tệp đã tải lên. Hãy tải tệp lên lại.")
    folder = _stash_dir()
    try:
        with open(os.path.join(folder, f"{token}.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        with open(os.path.join(folder, f"{token}.xlsx"), "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise NotFound("Tệp đã tải lên đã hết hạn. Hãy tải tệp lên lại.") from error
    if meta.get("user") != user.id or meta.get("event") != event.id:
        raise NotFound("Không tìm thấy tệp đã tải lên. Hãy tải tệp lên lại.")
    return data


def drop_upload(token: str) -> None:
    for suffix in (".xlsx", ".json"):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(_stash_dir(), token + suffix))


def contest_stats_export(contest: Contest) -> Export:
    """The dashboard's figures for one contest: submissions per day against the deadline, entries by
    field and commune, participants by sex (the same numbers as the charts)."""
    submissions = submissions_over_time(contest)
    breakdowns = contest_breakdowns(contest, full=True)
    subtitle = [contest.name, f"Hạn nộp hồ sơ: {submissions['deadline']}"]

    def shares(rows: list[tuple[str, int]]) -> list[list]:
        total = sum(n for _, n in rows)
        return [[name, n, n / total if total else None] for name, n in rows]

    def count_sheet(name: str, title: str, header: str, unit: str, rows) -> Sheet:
        data = shares(rows)
        return Sheet(
            name,
            title,
            [Column(header, width=40), Column(unit, "int", width=11), Column("Tỷ lệ", "percent", width=9)],
            data,
            subtitle=subtitle,
            totals=["Tổng cộng", sum(r[1] for r in data), 1.0 if data else None],
        )

    days = [
        [day, daily, cumulative]
        for day, daily, cumulative in zip(
            submissions["dates"], submissions["daily"], submissions["cumulative"], strict=True
        )
    ]
    return Export(
        f"thong-ke-{contest.slug}.xlsx",
        [
            Sheet(
                "Nộp theo ngày",
                "Số hồ sơ nộp theo ngày",
                [
                    Column("Ngày", "date"),
                    Column("Trong ngày", "int", width=11),
                    Column("Cộng dồn", "int", width=11),
                ],
                days,
                subtitle=subtitle,
            ),
            count_sheet("Theo lĩnh vực", "Hồ sơ theo lĩnh vực", "Lĩnh vực", "Hồ sơ", breakdowns["field"]),
            count_sheet(
                "Theo xã phường", "Hồ sơ theo xã, phường", "Xã/phường/đặc khu", "Hồ sơ", breakdowns["commune"]
            ),
            count_sheet(
                "Theo giới tính", "Người tham gia theo giới tính", "Giới tính", "Người", breakdowns["sex"]
            ),
        ],
    )
