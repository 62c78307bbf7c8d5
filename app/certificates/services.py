"""Certificates: the organisers' template, issuing to prize winners, finalists and checked-in
attendees, revoking, the short verification code, and who may download which PDF.

Services commit (the house rule): each public function that changes rows commits once. Permission
is checked here (the contest's organisers, the event's managers), so the web and the worker share it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.accounts.models import User
from app.audit.services import record
from app.certificates import pdf
from app.certificates.models import KINDS, Certificate, CertificateTemplate
from app.contests.models import Contest, Entry, TeamMember
from app.contests.permissions import can_manage_contest, require_contest_manager
from app.database import commit, page_of
from app.errors import Conflict, FieldErrors, Invalid, NotFound, PermissionDenied
from app.events.models import Attendee, Checkin, Event
from app.events.permissions import can_manage, require_manager
from app.extensions import db
from app.judging.models import Round, RoundEntry, RoundResult
from app.localtime import to_local, utcnow
from app.mail.services import send_email
from app.text import tidy
from app.tokens import new_token
from app.urls import absolute_url

# 32 letters and digits without 0/O, 1/I/L: read aloud or typed from paper without confusion.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE_RE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")

NOT_FOUND = "Không tìm thấy mã xác minh."
SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MAX_SIDE = 4000
SEAL_FORMATS = {"PNG", "JPEG"}

DEFAULT_WORDING = {
    "prize": "Đã đạt {prize} – {contest}, với dự án “{entry}”.",
    "finalist": "Đã vào {round} – {contest}, với dự án “{entry}”.",
    "attendance": "Đã tham dự {event}.",
}
PLACEHOLDERS = ("prize", "entry", "contest", "event", "round")
_PLACEHOLDER_RE = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
GROUPS = {"prize": "Đạt giải", "finalist": "Vào vòng", "attendance": "Tham dự"}


# --- codes ----------------------------------------------------------------------------------------


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(text: str | None) -> str | None:
    """ "abcd efgh", "ABCD-EFGH" or a pasted verification link → "ABCD-EFGH"; None when it cannot
    be a code (wrong length or a letter not in the alphabet)."""
    value = (text or "").strip()[:300]
    if "/" in value:  # a link copied from the QR code
        value = value.rstrip("/").rsplit("/", 1)[-1]
    value = re.sub(r"[\s\-–.]", "", value).upper()
    if value.endswith(".PDF"):
        value = value[:-4]
    if not _CODE_RE.match(value):
        return None
    return f"{value[:4]}-{value[4:]}"


def find_by_code(text: str | None) -> Certificate:
    """The certificate with this code (live or revoked); NotFound for a mistyped, altered or unknown one."""
    code = normalize_code(text)
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code)) if code else None
    if certificate is None:
        raise NotFound(NOT_FOUND)
    return certificate


# --- who may see and manage -----------------------------------------------------------------------


def owner_of(certificate: Certificate) -> tuple[Contest | None, Event | None]:
    contest = db.session.get(Contest, certificate.contest_id) if certificate.contest_id else None
    event = db.session.get(Event, certificate.event_id) if certificate.event_id else None
    return contest, event


def may_manage(user: User | None, certificate: Certificate) -> bool:
    contest, event = owner_of(certificate)
    if event is not None:
        return can_manage(user, event)
    return contest is not None and can_manage_contest(user, contest)


def require_certificate_manager(user: User | None, certificate: Certificate) -> None:
    if not may_manage(user, certificate):
        raise PermissionDenied("Bạn không thuộc Ban tổ chức đã cấp giấy chứng nhận này.")


def is_holder(user: User | None, certificate: Certificate) -> bool:
    """The person's own certificate: their account, or (prize/finalist) the entry they lead."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if certificate.user_id == user.id:
        return True
    if certificate.entry_id:
        entry = db.session.get(Entry, certificate.entry_id)
        return entry is not None and entry.leader_id == user.id
    return False


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="certificate-download")


def download_token(certificate: Certificate) -> str:
    """The token in the mailed link: lets an attendee without an account download their own PDF."""
    return str(_signer().dumps(certificate.code))


def certificate_for_download(user: User | None, code: str, token: str | None = None) -> Certificate:
    """The certificate a person may download: their own (account, entry leader, or the mailed link's
    token) or one their contest/event issued. Others get 404 (the code is not confirmed to them
    here: the public verification page is where a code is checked)."""
    certificate = find_by_code(code)
    allowed = is_holder(user, certificate) or may_manage(user, certificate)
    if not allowed and token:
        try:
            allowed = _signer().loads(token[:200]) == certificate.code
        except BadSignature:
            allowed = False
    if not allowed:
        if user is not None and getattr(user, "is_authenticated", False):
            raise PermissionDenied("Đây không phải giấy chứng nhận của bạn.")
        raise NotFound(NOT_FOUND)
    if certificate.revoked_at is not None:
        raise Conflict("Giấy chứng nhận này đã bị thu hồi; không tải được.")
    return certificate


def certificates_for_entry(user: User | None, entry: Entry) -> list[Certificate]:
    """The live certificates of an entry's members, for its leader (and its organisers)."""
    if user is None or not (entry.leader_id == user.id or can_manage_contest(user, entry.contest)):
        return []
    stmt = (
        select(Certificate)
        .where(Certificate.entry_id == entry.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.kind, Certificate.id)
    )
    return list(db.session.scalars(stmt))


# --- templates ------------------------------------------------------------------------------------


def template_for(contest: Contest | None = None, event: Event | None = None) -> CertificateTemplate:
    """The saved template, or an unsaved one with the defaults (the Sở, the director)."""
    column = CertificateTemplate.contest_id if contest else CertificateTemplate.event_id
    owner_id = contest.id if contest else event.id if event else None
    template = db.session.scalar(select(CertificateTemplate).where(column == owner_id))
    if template is None:
        template = CertificateTemplate(
            contest_id=contest.id if contest else None,
            event_id=event.id if event else None,
            authority="UBND TỈNH QUẢNG NGÃI",
            issuer="SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            title="GIẤY CHỨNG NHẬN",
            wording=dict(DEFAULT_WORDING),
            place="Quảng Ngãi",
            signer_title="GIÁM ĐỐC",
            signer_name="",
            seal_path="",
        )
    return template


def wording_of(template: CertificateTemplate, kind: str) -> str:
    return (template.wording or {}).get(kind) or DEFAULT_WORDING[kind]


def fill(wording: str, values: dict[str, str]) -> str:
    """Put the values in the organisers' sentence. Only the named placeholders are replaced (not
    str.format: "{entry.__class__}" typed in a form must stay text)."""
    return tidy(_PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), ""), wording), one_line=True)


def seal_folder() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "certificates"


def seal_file(template: CertificateTemplate) -> Path | None:
    if not template.seal_path:
        return None
    path = seal_folder() / Path(template.seal_path).name
    return path if path.is_file() else None


def read_seal(upload: FileStorage) -> bytes:
    """The seal image as a clean PNG: only a real PNG or JPEG of at most 2 MB, judged by its
    content (not its name); re-encoded, so nothing but pixels is kept."""
    data = upload.stream.read(SEAL_MAX_BYTES + 1)
    if len(data) > SEAL_MAX_BYTES:
        raise Invalid("Ảnh con dấu không được lớn hơn 2 MB.", field="seal")
    if not data:
        raise Invalid("Tệp ảnh trống.", field="seal")
    try:
        with Image.open(BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in SEAL_FORMATS:
            raise Invalid("Ảnh con dấu phải là tệp PNG hoặc JPEG.", field="seal")
        with Image.open(BytesIO(data)) as image:
            if max(image.size) > SEAL_MAX_SIDE:
                raise Invalid(f"Ảnh quá lớn (tối đa {SEAL_MAX_SIDE} điểm ảnh mỗi chiều).", field="seal")
            image.load()
            converted = image.convert("RGBA")
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid("Ảnh con dấu phải là tệp PNG hoặc JPEG.", field="seal") from exc
    out = BytesIO()
    converted.save(out, "PNG", optimize=True)
    return out.getvalue()


def save_template(
    actor: User,
    template: CertificateTemplate,
    values: dict[str, str],
    seal: FileStorage | None = None,
    remove_seal: bool = False,
) -> CertificateTemplate:
    """Save the organisers' words (and a new seal image). Permission: the contest's or event's managers."""
    _require_owner_manager(actor, template)
    errors = FieldErrors()  # the seal and the title refused together (issue 15)
    image = errors.check(read_seal, seal) if seal is not None and seal.filename else None
    title = tidy(values["title"], 200, one_line=True) if "title" in values else template.title
    if not title:
        errors.add("title", "Vui lòng nhập tiêu đề giấy chứng nhận.")
    errors.raise_if_any()
    for name in ("authority", "issuer", "title", "place", "signer_title", "signer_name"):
        if name in values:
            setattr(template, name, tidy(values[name], 200, one_line=True))
    wording = dict(template.wording or {})
    for kind in KINDS:
        if f"wording_{kind}" in values:
            text = tidy(values[f"wording_{kind}"], 500, one_line=True)
            wording[kind] = text or DEFAULT_WORDING[kind]
    template.wording = wording
    old = seal_file(template)
    if image is not None:
        folder = seal_folder()
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{new_token(16)}.png"
        (folder / name).write_bytes(image)
        template.seal_path = f"certificates/{name}"
    elif remove_seal:
        template.seal_path = ""
    template.updated_at = utcnow()
    db.session.add(template)
    record(actor, "certificate.template", "certificate_template", template.id, seal=image is not None)
    commit()
    if old is not None and (image is not None or remove_seal):
        old.unlink(missing_ok=True)
    return template


def _require_owner_manager(actor: User, template: CertificateTemplate) -> None:
    if template.event_id:
        require_manager(actor, db.session.get(Event, template.event_id))
    else:
        contest = db.session.get(Contest, template.contest_id)
        if contest is None:
            raise NotFound("Không tìm thấy cuộc thi.")
        require_contest_manager(actor, contest)


# --- issuing --------------------------------------------------------------------------------------


@dataclass
class Issued:
    """What one issue click did: the new certificates, and how many already existed (reused)."""

    created: list[Certificate] = field(default_factory=list)
    reused: int = 0
    mailed: int = 0


@dataclass
class _Person:
    full_name: str
    reason: str
    entry_id: int | None = None
    member_id: int | None = None
    attendee_id: int | None = None
    user_id: int | None = None
    email: str | None = None


def today_local() -> date:
    return to_local(utcnow()).date()


def contest_rounds(contest: Contest) -> list[Round]:
    stmt = select(Round).where(Round.contest_id == contest.id).order_by(Round.position, Round.id)
    return list(db.session.scalars(stmt))


def _members_of(entry: Entry) -> Iterable[TeamMember]:
    return sorted(entry.members, key=lambda m: (not m.is_leader, m.position, m.id))


def _member_person(entry: Entry, member: TeamMember, reason: str) -> _Person:
    user_id = member.user_id or (entry.leader_id if member.is_leader else None)
    return _Person(member.full_name, reason, entry.id, member.id, user_id=user_id)


def prize_people(contest: Contest, template: CertificateTemplate) -> list[_Person]:
    """Every member of every entry with a published prize (the results snapshot, not live scores)."""
    stmt = (
        select(RoundResult, Round, Entry)
        .join(Round, Round.id == RoundResult.round_id)
        .join(Entry, Entry.id == RoundResult.entry_id)
        .where(Round.contest_id == contest.id, Round.published_at.is_not(None), RoundResult.prize != "")
        .order_by(Round.position, RoundResult.rank, Entry.id)
    )
    people: list[_Person] = []
    for result, _round, entry in db.session.execute(stmt).all():
        values = {"prize": result.prize, "entry": entry.title, "contest": contest.name, "round": _round.name}
        reason = fill(wording_of(template, "prize"), values)
        people.extend(_member_person(entry, m, reason) for m in _members_of(entry))
    return people


def finalist_people(contest: Contest, template: CertificateTemplate, round_id: int | None) -> list[_Person]:
    """Every member of every entry in the chosen round (e.g. the final)."""
    round_ = db.session.get(Round, round_id) if round_id else None
    if round_ is None or round_.contest_id != contest.id:
        raise Invalid("Vui lòng chọn một vòng của cuộc thi này.", field="round_id")
    stmt = (
        select(Entry)
        .join(RoundEntry, RoundEntry.entry_id == Entry.id)
        .where(RoundEntry.round_id == round_.id)
        .order_by(Entry.code, Entry.id)
    )
    people: list[_Person] = []
    for entry in db.session.scalars(stmt):
        values = {"entry": entry.title, "contest": contest.name, "round": round_.name, "prize": ""}
        reason = fill(wording_of(template, "finalist"), values)
        people.extend(_member_person(entry, m, reason) for m in _members_of(entry))
    return people


def attendance_people(event: Event, template: CertificateTemplate) -> list[_Person]:
    """Registrations with an active check-in (not undone), not cancelled: one certificate each."""
    active = select(Checkin.attendee_id).where(Checkin.event_id == event.id, Checkin.undone_at.is_(None))
    stmt = (
        select(Attendee)
        .where(Attendee.event_id == event.id, Attendee.cancelled_at.is_(None), Attendee.id.in_(active))
        .order_by(Attendee.id)
    )
    reason = fill(wording_of(template, "attendance"), {"event": event.name})
    return [
        _Person(a.full_name, reason, attendee_id=a.id, user_id=a.user_id, email=a.email)
        for a in db.session.scalars(stmt)
    ]


def _live(kind: str, person: _Person, contest_id: int | None, event_id: int | None) -> Certificate | None:
    stmt = select(Certificate).where(Certificate.kind == kind, Certificate.revoked_at.is_(None))
    if person.member_id:
        stmt = stmt.where(Certificate.member_id == person.member_id, Certificate.contest_id == contest_id)
    else:
        stmt = stmt.where(Certificate.attendee_id == person.attendee_id, Certificate.event_id == event_id)
    return db.session.scalar(stmt)


def _unused_code() -> str:
    while True:
        code = new_code()
        if db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def issue(
    actor: User,
    kind: str,
    *,
    contest: Contest | None = None,
    event: Event | None = None,
    round_id: int | None = None,
) -> Issued:
    """Issue the certificates of one group (prize | finalist for a contest, attendance for an
    event). Issuing again reuses each person's live certificate; attendees with an email get the
    link to their PDF (queued mail)."""
    if kind not in KINDS:
        raise Invalid("Không có loại giấy chứng nhận này.")
    if kind == "attendance":
        if event is None:
            raise Invalid("Giấy chứng nhận tham dự được cấp theo sự kiện.")
        require_manager(actor, event)
        template = template_for(event=event)
        people = attendance_people(event, template)
    else:
        if contest is None:
            raise Invalid("Giấy chứng nhận này được cấp theo cuộc thi.")
        require_contest_manager(actor, contest)
        template = template_for(contest=contest)
        people = (
            prize_people(contest, template)
            if kind == "prize"
            else finalist_people(contest, template, round_id)
        )
    contest_id = contest.id if contest else None
    event_id = event.id if event else None
    result = Issued()
    today = today_local()
    seen: set[tuple[int | None, int | None]] = set()
    for person in people:
        key = (person.member_id, person.attendee_id)
        if key in seen:  # the same member with prizes in two rounds: one certificate
            continue
        seen.add(key)
        if _live(kind, person, contest_id, event_id) is not None:
            result.reused += 1
            continue
        certificate = Certificate(
            code=_unused_code(),
            kind=kind,
            contest_id=contest_id,
            event_id=event_id,
            entry_id=person.entry_id,
            member_id=person.member_id,
            attendee_id=person.attendee_id,
            user_id=person.user_id,
            full_name=tidy(person.full_name, 120, one_line=True),
            reason=person.reason,
            issued_on=today,
            issued_by_id=actor.id,
        )
        db.session.add(certificate)
        result.created.append(certificate)
    if template.id is None:
        db.session.add(template)  # issuing fixes the words the certificates were printed with
    record(
        actor,
        "certificate.issue",
        "event" if event else "contest",
        event_id or (contest.id if contest else None),
        kind=kind,
        created=len(result.created),
        reused=result.reused,
    )
    commit(Conflict("Giấy chứng nhận vừa được cấp ở nơi khác cùng lúc. Vui lòng tải lại trang."))
    if event is not None:
        by_attendee = {p.attendee_id: p.email for p in people}
        for certificate in result.created:
            email = by_attendee.get(certificate.attendee_id)
            if email:
                send_email(
                    email,
                    f"Giấy chứng nhận tham dự – {event.name}",
                    "mail/certificate.txt",
                    certificate=certificate,
                    event=event,
                    pdf_url=absolute_url(
                        "certificates.download", code=certificate.code, t=download_token(certificate)
                    ),
                    verify_url=absolute_url("certificates.verify", code=certificate.code),
                )
                result.mailed += 1
    return result


def revoke(actor: User, certificate: Certificate, reason: str) -> Certificate:
    """Revoke with a reason (kept and shown on the verification page)."""
    require_certificate_manager(actor, certificate)
    reason = tidy(reason, 300, one_line=True)
    if not reason:
        raise Invalid("Vui lòng nhập lý do thu hồi.", field="reason")
    if certificate.revoked_at is not None:
        raise Conflict("Giấy chứng nhận này đã bị thu hồi trước đó.")
    certificate.revoked_at, certificate.revoked_reason = utcnow(), reason
    record(actor, "certificate.revoke", "certificate", certificate.id, code=certificate.code, reason=reason)
    commit()
    return certificate


def get_for_manager(actor: User, certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound("Không tìm thấy giấy chứng nhận.")
    require_certificate_manager(actor, certificate)
    return certificate


ISSUED_PAGE_SIZE = 50  # certificates per page of the organisers' list


@dataclass
class IssuedPage:
    rows: list[Certificate]
    total: int  # live and revoked
    live: int


def issued_page(contest: Contest | None = None, event: Event | None = None, page: int = 1) -> IssuedPage:
    """One page of a contest's or an event's certificates (live and revoked, by kind then name), with
    the counts: a festival issues thousands."""
    if event is not None:
        owned = Certificate.event_id == event.id
    elif contest is not None:
        owned = (Certificate.contest_id == contest.id) & Certificate.event_id.is_(None)
    else:
        return IssuedPage([], 0, 0)
    rows, total = page_of(
        select(Certificate).where(owned).order_by(Certificate.kind, Certificate.full_name, Certificate.id),
        page,
        ISSUED_PAGE_SIZE,
    )
    live = db.session.scalar(select(func.count()).where(owned, Certificate.revoked_at.is_(None))) or 0
    return IssuedPage(rows, total, live)


def template_of(certificate: Certificate) -> CertificateTemplate:
    contest, event = owner_of(certificate)
    return template_for(event=event) if event is not None else template_for(contest=contest)


def render_one(certificate: Certificate) -> bytes:
    template = template_of(certificate)
    return pdf.render([certificate], template, seal_file(template))


def file_name(certificate: Certificate) -> str:
    return f"giay-chung-nhan-{certificate.code}.pdf"
