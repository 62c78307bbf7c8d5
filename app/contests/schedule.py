"""What comes after submitting: the steps an applicant can expect (screening, the judging rounds, the
results), with their dates from the contest's schedule, said plainly where none is set.

The judging rounds belong to another package, which builds on this one (and may be left out of a
deployment), so their dates reach here through a registry: a package calls `register_milestones`
with a function giving a contest's milestones, and this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.contests.models import Contest, Entry
from app.localtime import format_date, to_local, utcnow


@dataclass(frozen=True)
class Milestone:
    """A stage of a contest after the deadline, e.g. a judging round, with its dates if set."""

    name: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    # When its results were made public; None while they are not.
    published_at: datetime | None = None
    position: int = 0


MilestoneSource = Callable[[Contest], list[Milestone]]
_SOURCES: list[MilestoneSource] = []


def register_milestones(source: MilestoneSource) -> MilestoneSource:
    """Add a source of milestones (usable as a decorator); registering the same one twice is harmless."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def milestones(contest: Contest) -> list[Milestone]:
    """Every registered milestone of the contest, in order."""
    found = [m for source in _SOURCES for m in source(contest)]
    return sorted(found, key=lambda m: m.position)


@dataclass(frozen=True)
class Step:
    title: str
    text: str


def _span(m: Milestone) -> str:
    if m.starts_at and m.ends_at:
        return f"từ {format_date(m.starts_at)} đến {format_date(m.ends_at)}"
    if m.ends_at:
        return f"đến {format_date(m.ends_at)}"
    if m.starts_at:
        return f"bắt đầu {format_date(m.starts_at)}, chưa có ngày kết thúc"
    return "chưa có ngày"


RESULTS_WHERE = "Kết quả được đăng trên trang cuộc thi; trạng thái bài dự thi của nhóm cũng được cập nhật."


def _results_step(stages: list[Milestone], now: datetime) -> str:
    last = stages[-1] if stages else None
    if last is not None and last.published_at is not None:
        return f"Kết quả vòng cuối ({last.name}) đã được công bố ngày {format_date(last.published_at)}. {RESULTS_WHERE}"
    if last is not None and last.ends_at is not None:
        day = format_date(last.ends_at)
        if last.ends_at >= now:
            return f"Kết quả dự kiến công bố sau ngày {day}, khi vòng cuối ({last.name}) kết thúc. {RESULTS_WHERE}"
        return f"Vòng cuối ({last.name}) đã kết thúc ngày {day}; kết quả sắp được công bố. {RESULTS_WHERE}"
    return f"Ban tổ chức chưa công bố ngày có kết quả. {RESULTS_WHERE}"


def next_steps(entry: Entry, email: str = "", now: datetime | None = None) -> list[Step]:
    """The applicant's steps after submitting, in order, with the dates known today."""
    now = now or utcnow()
    contest = entry.contest
    stages = milestones(contest)
    mail = f" tới {email}" if email else ""
    rounds = (
        "Hồ sơ hợp lệ được Hội đồng giám khảo chấm qua các vòng: "
        + "; ".join(f"{m.name} ({_span(m)})" for m in stages)
        + "."
        if stages
        else "Hồ sơ hợp lệ được Hội đồng giám khảo chấm. Ban tổ chức chưa công bố lịch các vòng chấm."
    )
    steps = []
    if entry.code:
        steps.append(
            Step("Mã hồ sơ", f"Mã hồ sơ của nhóm là {entry.code}. Hãy ghi mã này khi liên hệ Ban tổ chức.")
        )
    steps += [
        Step(
            "Sửa hồ sơ đến hạn nộp",
            "Nhóm vẫn sửa được hồ sơ (nội dung, thành viên, tệp) đến "
            f"{to_local(contest.closes_at):%H:%M} ngày {format_date(contest.closes_at)}. "
            "Sau hạn này hồ sơ được giữ nguyên để thẩm định.",
        ),
        Step(
            "Thẩm định hồ sơ",
            "Sau hạn nộp, Ban tổ chức kiểm tra hồ sơ có đúng thể lệ không (độ tuổi, số thành viên, "
            f"tài liệu). Kết quả thẩm định (hợp lệ, hoặc không hợp lệ kèm lý do) được gửi qua email{mail} "
            "và hiện ở trang bài dự thi.",
        ),
        Step("Các vòng chấm", rounds),
        Step("Kết quả", _results_step(stages, now)),
        Step(
            "Nếu muốn rút bài",
            "Mở trang bài dự thi, chọn “Rút bài dự thi” rồi xác nhận. Bài đã rút không khôi phục được "
            "và không rút được nữa khi cuộc thi đã có kết quả.",
        ),
    ]
    return steps
