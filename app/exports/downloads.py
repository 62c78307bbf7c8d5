"""The .xlsx downloads (SPEC §6): results of a round, entries with their teams, judges' progress,
event registrations and check-ins, the data-request queue, a contest's statistics and the rows a
guest import refused.

Each `*_export` function returns an `Export` (file name + sheets for app.spreadsheet.workbook); the
web view and the `flask export …` command both call them and `write_export`, so the file is the
same. Permissions are checked by the caller first (app.exports.permissions). Read-only queries;
results come from the judging services (`compute_results`, `round_progress`) and scoring.py —
never a second formula.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.validation import format_phone
from app.contests.models import Contest, Entry, TeamMember
from app.errors import Invalid
from app.events.guests import GUEST_HEADERS, ImportCheck
from app.events.models import SOURCES, Attendee, Checkin, DeviceToken, Event
from app.exports.dashboard import (
    checkins_by_hour_and_gate,
    contest_breakdowns,
    entries_with_teams,
    submissions_over_time,
)
from app.extensions import db
from app.judging import scoring
from app.judging import services as judging
from app.judging.models import SHEET_STATUS_LABELS, Assignment, Round, RoundEntry, SheetStatus
from app.judging.services.results import awards_prizes
from app.localtime import to_local, utcnow
from app.privacy.models import DataRequest
from app.privacy.services import REQUEST_KINDS, REQUEST_STATUSES
from app.spreadsheet.collation import name_sort_key, sort_key
from app.spreadsheet.workbook import Column, NotesSheet, Sheet, Signature, write_workbook

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Export:
    """A workbook ready to write: its download name and its sheets (in order)."""

    filename: str
    sheets: list[Sheet | NotesSheet]
    report_date: date | None = None


def write_export(export: Export, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the workbook (streamed, so a big export keeps memory flat)."""
    write_workbook(target, export.sheets, report_date=export.report_date)


def local_date(value: datetime | None) -> date | None:
    """The day in Quảng Ngãi of a stored (UTC) time, for date columns."""
    return to_local(value).date() if value else None


def _sorted_people(
    rows: Iterable[Sequence[Any]], name_index: int, tiebreak_index: int | None = None
) -> list[Sequence[Any]]:
    """Rows listing people, in Vietnamese order: tên, tên đệm, họ (then a stable tie-breaker)."""
    if tiebreak_index is None:
        return sorted(rows, key=lambda r: name_sort_key(r[name_index]))
    return sorted(rows, key=lambda r: (name_sort_key(r[name_index]), sort_key(str(r[tiebreak_index] or ""))))


# --- results of a round ---------------------------------------------------------------------------


def _decision_label(results: judging.RoundResults, entry_id: int) -> str:
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


def _blank_judges(judges: Sequence[User], scored: Iterable[Any], unsubmitted: set[Any]) -> str:
    """Why some judges' cells of a ranking row are empty: the sheet is not submitted yet, or the
    judge was not assigned this entry (a panel smaller than the round, a conflict of interest)."""
    waiting = [j.full_name for j in judges if j.id in unsubmitted]
    absent = [j.full_name for j in judges if j.id not in unsubmitted and j.id not in scored]
    parts = []
    if waiting:
        parts.append("chưa nộp: " + ", ".join(waiting))
    if absent:
        parts.append("không được phân công: " + ", ".join(absent))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def method_text(rubric: scoring.Rubric, method: scoring.Method) -> str:
    """The "Cách tính" note: how a judge's total is made, naming only the kinds of criteria this
    rubric has, then how the method combines the judges' totals."""
    kinds = {c.kind for c in rubric.criteria}
    if kinds == {scoring.SCALE}:
        total = (
            "Điểm của mỗi giám khảo là tổng các tiêu chí, mỗi tiêu chí chấm theo thang 1–5 rồi nhân hệ số."
        )
    elif scoring.SCALE in kinds:
        total = (
            "Điểm của mỗi giám khảo là tổng điểm các tiêu chí (tiêu chí chấm điểm: điểm chấm; "
            "tiêu chí thang 1–5: điểm nhân hệ số)."
        )
    else:
        total = "Điểm của mỗi giám khảo là tổng điểm các tiêu chí."
    how = {
        scoring.Method.MEAN: "Điểm tổng hợp là trung bình cộng điểm các giám khảo.",
        scoring.Method.TRIMMED_MEAN: "Hồ sơ có từ 5 phiếu chấm đã nộp: bỏ một điểm cao nhất và một điểm "
        "thấp nhất rồi lấy trung bình; ít hơn 5 phiếu thì lấy trung bình cộng (không bỏ điểm nào).",
        scoring.Method.ZSCORE: "Điểm của mỗi giám khảo được chuẩn hoá theo trung bình và độ lệch "
        "chuẩn của chính giám khảo đó, rồi quy về thang điểm chung.",
    }[method]
    return f"{total} {how} Điểm hiển thị làm tròn 2 chữ số thập phân."


def _scale_text(crit: scoring.Criterion) -> str:
    if crit.kind == scoring.SCALE:
        whole = crit.weight == crit.weight.to_integral_value()
        return f"{crit.name}: thang 1–5 × hệ số {scoring.format_score(crit.weight, 0 if whole else 2)}"
    return f"{crit.name}: tối đa {scoring.format_score(crit.high, 0)}"


def results_export(round_: Round) -> Export:
    """Ranking sheet, per-judge × per-criterion sheet and the method sheet of a round. A final
    round (judging.awards_prizes) lists prizes, not advancement."""
    results = judging.compute_results(round_)
    contest = round_.contest
    if results.ranking is None:
        raise Invalid(results.refused or "Chưa tính được kết quả của vòng này.")
    ranking = results.ranking
    awarding = awards_prizes(round_)
    judges = sorted(judging.round_judges(round_), key=lambda j: name_sort_key(j.full_name))
    status = "Kết quả đã công bố" if round_.published_at else "Kết quả tạm tính (chưa công bố)"
    subtitle = [contest.name, f"{status} – phương pháp: {ranking.method.label}"]
    # Sheets assigned but not submitted, by entry (few): every other empty judge cell is a judge
    # not assigned that entry.
    unsubmitted: dict[int, set[int]] = {}
    for entry_id, judge_id in db.session.execute(
        select(Assignment.entry_id, Assignment.judge_id).where(
            Assignment.round_id == round_.id, Assignment.status != SheetStatus.SUBMITTED.value
        )
    ):
        unsubmitted.setdefault(entry_id, set()).add(judge_id)

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
                *([] if awarding else [_decision_label(results, entry.id)]),
                prizes,
                _blank_judges(judges, ranked.judge_totals, unsubmitted.get(entry.id, set())),
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
            *([] if awarding else [Column("Đi tiếp", width=14)]),
            Column("Giải", width=14),
            Column("Ô điểm giám khảo để trống", width=24),
        ],
        ranking_rows(),
        subtitle=[
            *subtitle,
            "Vòng chung kết: xét giải, không xét đi tiếp."
            if awarding
            else "Cột “Đi tiếp” theo điều kiện của vòng.",
        ],
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

    def judge_row(
        entry_id: int, judge_id: int, status: str, scores: dict[str, Any], submitted_at: datetime | None
    ) -> list[Any]:
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
        group: list[tuple[Any, ...]] = []
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
        ("Cách tính", method_text(rubric, ranking.method)),
        ("Thang điểm", "; ".join(_scale_text(c) for c in rubric.criteria)),
        (
            ("Xét giải", "Vòng chung kết: xếp giải theo cơ cấu giải của từng bảng, không xét đi tiếp.")
            if awarding
            else ("Điều kiện đi tiếp", "; ".join(rule_parts) or "Không đặt điều kiện")
        ),
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


def entries_export(contest: Contest) -> Export:
    """One row per entry (by code) and a members sheet (people in Vietnamese order)."""
    entries = sorted(entries_with_teams(contest), key=lambda e: (e.code_number or 10**9, e.id))
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
                local_date(entry.submitted_at),
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
    first_checkin: dict[int, tuple[datetime, str]] = {}
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
    attendees = select(
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
    ) in db.session.execute(attendees):
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


# --- guest import ----------------------------------------------------------------------------


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


# --- a contest's statistics ---------------------------------------------------------------------


def contest_stats_export(contest: Contest) -> Export:
    """The dashboard's figures for one contest: submissions per day against the deadline, entries by
    field and commune, participants by sex (the same numbers as the charts)."""
    submissions = submissions_over_time(contest)
    breakdowns = contest_breakdowns(contest, full=True)
    subtitle = [contest.name, f"Hạn nộp hồ sơ: {submissions['deadline']}"]

    def shares(rows: list[tuple[str, int]]) -> list[list[Any]]:
        total = sum(n for _, n in rows)
        return [[name, n, n / total if total else None] for name, n in rows]

    def count_sheet(name: str, title: str, header: str, unit: str, rows: list[tuple[str, int]]) -> Sheet:
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
