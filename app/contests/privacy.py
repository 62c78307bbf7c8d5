"""What the contests package holds about a person (entries, team members, documents, staff rows),
registered with the privacy registry; and who counts as Sở staff for the privacy queue.

Erasure keeps every entry (code, state, track, the idea's content, scores, results) so entry
counts, rankings and the yearly report still add up; it anonymises the person's rows in every team,
deletes the documents of the entries they led, and replaces their name wherever an entry or its
history quotes it. The caller (privacy.services.erase_for_request) commits.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import ColumnElement, or_, select

from app.accounts.models import User
from app.audit.services import record
from app.contests import eligibility, entries, files, permissions
from app.contests.models import (
    STAFF_ROLE_LABELS,
    ContestStaff,
    Entry,
    EntryEvent,
    EntryFile,
    StaffRole,
    TeamMember,
)
from app.extensions import db
from app.privacy.registry import ERASED, Erasure, Holder, Link, define_platform_staff, erased_email, register

ERASE_NOTE = "Ẩn danh hoá dữ liệu cá nhân theo yêu cầu của người được xử lý dữ liệu"

# Sở staff (and admins) work the privacy queue: the contests package scopes organisers.
define_platform_staff(permissions.is_global_organiser)


def member_keys(user: User) -> list[ColumnElement[bool]]:
    """How a person's team-member rows are found: linked to the account, or with its email or phone
    (the events and certificates holders find their rows the same way)."""
    keys = [TeamMember.user_id == user.id, TeamMember.email == user.email]
    if user.phone:
        keys.append(TeamMember.phone == user.phone)
    return keys


def _is_mine(member: TeamMember, user: User) -> bool:
    return (
        member.user_id == user.id
        or member.email == user.email
        or bool(user.phone and member.phone == user.phone)
    )


def entries_about(user: User) -> list[Entry]:
    """Entries holding this person's data: led by the account, or naming its email/phone as a member."""
    ids = select(TeamMember.entry_id).where(or_(*member_keys(user)))
    return list(
        db.session.scalars(
            select(Entry).where(or_(Entry.leader_id == user.id, Entry.id.in_(ids))).order_by(Entry.id)
        )
    )


def export_entries(user: User, limit: int | None = None) -> list:
    return [
        {
            "cuoc_thi": entry.contest.name,
            "ma_ho_so": entry.code,
            "ten_y_tuong": entry.title,
            "trang_thai": entry.status_label,
            "vai_tro": "Trưởng nhóm" if entry.leader_id == user.id else "Thành viên",
            "thong_tin_ca_nhan_trong_ho_so": [
                {
                    "ho_ten": m.full_name,
                    "ngay_sinh": m.birth_date.isoformat() if m.birth_date else None,
                    "gioi_tinh": m.sex_label,
                    "dien_thoai": m.phone,
                    "email": m.email,
                    "don_vi": m.organisation,
                    "xa_phuong": m.commune_name,
                    "huyen_cu": m.district_name,
                    "dan_toc": "Không cung cấp" if m.ethnicity == "khong_cung_cap" else m.ethnicity,
                    "nguoi_giam_ho": m.guardian_name,
                    "lien_he_nguoi_giam_ho": m.guardian_contact,
                }
                for m in entry.members
                if _is_mine(m, user)
            ],
            "tep_da_nop": [f.original_name for f in entry.files] if entry.leader_id == user.id else [],
        }
        for entry in entries_about(user)
    ]


def entry_links(user: User) -> list[Link]:
    """Where the person corrects their own data in an entry while it can still be edited."""
    links = []
    for entry in entries_about(user):
        if entry.leader_id != user.id or not eligibility.is_editable(entry, actor=user):
            continue
        for member in entry.members:
            if _is_mine(member, user):
                links.append(
                    Link(
                        f"Sửa thông tin của bạn trong “{entry.title}”",
                        "contests.edit_member",
                        {"entry_id": entry.id, "member_id": member.id},
                    )
                )
    return links


def anonymise_member(member: TeamMember, email: str) -> None:
    """Strip a team member's row of everything personal: name (→ ERASED), birth date, sex, phone,
    organisation, commune and pre-2025 district, ethnicity, guardian and their consent. `email`
    replaces the address: "" for a row whose `user_id` already tells the person apart, else a
    unique `.invalid` stand-in so the yearly report still counts the person once (and does not merge
    them with every other anonymised member). Used by the erasure below and by the retention purge
    (app/admin/retention.py); the caller refreshes the entry's search text and commits."""
    member.full_name, member.birth_date, member.sex = ERASED, None, ""
    member.phone = member.organisation = ""
    member.commune_code = member.commune_name = member.district_code = member.district_name = ""
    member.ethnicity = member.guardian_name = member.guardian_contact = ""
    member.guardian_consent = False
    member.email = email


def without_names(text: str, names: set[str]) -> str:
    """`text` with each of `names` replaced by ERASED (names of one word are the caller's to leave out)."""
    for name in names:
        text = text.replace(name, ERASED)
    return text


def erase_entries(actor: User, user: User) -> Erasure:
    """Anonymise this person's rows in every entry (name, birth date, sex, contacts, address,
    ethnicity, guardian), clear the organisation and commune of the entries they led and delete
    their documents (from disk after the commit), and replace the person's name where an entry's
    title, text or history quotes it. Entries themselves stay, so codes, counts and results hold."""
    members = list(db.session.scalars(select(TeamMember).where(or_(*member_keys(user)))))
    # Names as typed in the entries, and the account's: a name of one word is too likely to be
    # part of other words to be replaced in free text.
    names = {n for n in {user.full_name, *(m.full_name for m in members)} if n and len(n.split()) >= 2}
    touched: dict[int, Entry] = {}
    for member in members:
        # The yearly report counts a person once by account, else by email (exports._person_key).
        # A row linked to the account stays linked (the account is anonymised below); any other
        # row gets the account's stand-in address instead of a blank, so the person still counts
        # once and does not merge with every other erased member.
        anonymise_member(member, "" if member.user_id == user.id else erased_email(user.id))
        touched[member.entry_id] = member.entry
    paths = []
    for entry in db.session.scalars(select(Entry).where(Entry.leader_id == user.id)):
        touched[entry.id] = entry
        entry.organisation = entry.commune_code = entry.commune_name = ""
        for row in list(entry.files):
            paths.append(files.file_path(row))
            entry.files.remove(row)
    for entry in touched.values():
        entry.title = without_names(entry.title, names)
        entry.summary = without_names(entry.summary, names)
        entry.answers = {
            k: without_names(v, names) if isinstance(v, str) else v for k, v in entry.answers.items()
        }
        for event in entry.history:
            if any(name in event.note for name in names):
                event.note = without_names(event.note, names)
        # The search text and the history line are written by the same helpers as every other change
        # (one home each: contests/entries.py).
        entries.refresh_search_text(entry)
        entries.add_history(entry, actor, "erased", note=ERASE_NOTE)
    record(actor, "contests.erase_person", "user", user.id, members=len(members), entries=len(touched))
    done = []
    if members:
        done.append(f"thông tin của bạn trong {len(members)} hồ sơ thành viên dự thi")
    if paths:
        done.append(f"{len(paths)} tài liệu của các bài bạn làm trưởng nhóm")
    # Files leave the disk only once the erasure is committed: a rollback must find them intact.
    return Erasure(done, [partial(path.unlink, missing_ok=True) for path in paths])


register(
    Holder(
        key="bai_du_thi",
        title="Trong các bài dự thi",
        models=(Entry, TeamMember, EntryFile, EntryEvent),
        export=export_entries,
        erase=erase_entries,
        erases=(
            "Họ tên, ngày sinh, giới tính, liên hệ, địa chỉ, dân tộc, người giám hộ của bạn trong mọi hồ sơ; "
            "đơn vị, địa chỉ và tài liệu của các bài bạn làm trưởng nhóm; tên bạn ở nơi hồ sơ nhắc đến."
        ),
        keeps=(
            "Bài dự thi (mã hồ sơ, bảng, lĩnh vực, nội dung ý tưởng, trạng thái, điểm, kết quả, giải) "
            "không còn thông tin của bạn: để kết quả đã công bố và số liệu báo cáo của Sở không đổi."
        ),
        labels={
            "ten_y_tuong": "Tên ý tưởng",
            "thong_tin_ca_nhan_trong_ho_so": "Thông tin cá nhân trong hồ sơ",
            "tep_da_nop": "Tệp đã nộp",
            "huyen_cu": "Huyện (cũ)",
            "dan_toc": "Dân tộc",
            "nguoi_giam_ho": "Người giám hộ",
            "lien_he_nguoi_giam_ho": "Liên hệ người giám hộ",
        },
        links=entry_links,
        note="Sau hạn nộp bài, muốn sửa thông tin trong hồ sơ hãy gửi yêu cầu “Sửa dữ liệu không chính xác” bên dưới.",
        order=30,
    )
)


# --- staff of a contest (organisers, judges) -------------------------------------------------------


def export_staff(user: User, limit: int | None = None) -> list:
    rows = db.session.scalars(
        select(ContestStaff).where(ContestStaff.user_id == user.id).order_by(ContestStaff.id)
    )
    return [
        {
            "cuoc_thi": row.contest.name,
            "vai_tro": str(STAFF_ROLE_LABELS.get(StaffRole(row.role), row.role)),
            "don_vi": row.organisation,
            "tu_ngay": row.added_at.isoformat() if row.added_at else None,
        }
        for row in rows
    ]


def erase_staff(actor: User, user: User) -> Erasure:
    # The rows stay (they say who judged or organised a contest, which results and the
    # "staff may not enter" rule rely on); the account they point at is anonymised.
    rows = list(db.session.scalars(select(ContestStaff).where(ContestStaff.user_id == user.id)))
    for row in rows:
        row.organisation = ""
    return Erasure([f"đơn vị của bạn trong {len(rows)} vai trò ban tổ chức, giám khảo"] if rows else [])


register(
    Holder(
        key="vai_tro_trong_cuoc_thi",
        title="Vai trò trong các cuộc thi",
        models=(ContestStaff,),
        export=export_staff,
        erase=erase_staff,
        erases="Đơn vị công tác ghi kèm vai trò ban tổ chức, giám khảo của bạn.",
        keeps="Việc một tài khoản (đã ẩn danh) từng là ban tổ chức, giám khảo của cuộc thi: để kết quả minh bạch.",
        labels={"tu_ngay": "Từ ngày"},
        order=35,
    )
)
