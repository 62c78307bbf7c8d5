"""The registry of personal data (SPEC §7, Law 91/2025): every feature says what it holds about a
person and how to copy and erase it, so "my data" and deletion requests cover the whole platform.

Like pretix's data shredders: a feature registers one or more `Holder`s from its own `privacy.py`
(the factory imports `app/<feature>/privacy.py` next to its models); this package loops over them
and imports no feature. `tests/privacy/test_registry.py` walks every mapped model and fails when
one with a name, email, phone or birth-date column is not named by a holder, so a new feature
cannot forget to join.

A holder's `erase` never commits: `privacy.services.erase_for_request` runs every holder, closes
the request and commits once, so an erasure happens completely or not at all. Work that cannot be
rolled back (deleting uploaded files) goes in `Erasure.after_commit`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.accounts.models import Role, User

# What an erased name (and any other erased text) reads as, everywhere. Plain text: it passes the
# column guard and reads the same in pages, exports and emails.
ERASED = "[đã xoá]"


def iso(value) -> str | None:
    """A date or time in the JSON copy: ISO 8601 (the page shows it dd/mm/yyyy), or None."""
    return value.isoformat() if value else None


def erased_email(user_id: int) -> str:
    """A unique stand-in for an erased email (UNIQUE columns). The reserved `.invalid` domain
    (RFC 2606) guarantees no mail is ever delivered to it."""
    return f"da-xoa-{user_id}@xoa.invalid"


@dataclass
class Erasure:
    """What one holder did: `done` lines for the note sent to the person ("2 lượt đăng ký sự
    kiện"), empty when it held nothing; `after_commit` callables run once the erasure is committed."""

    done: list[str] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Link:
    """A link shown with a section of "my data" (e.g. where to correct it): endpoint + values."""

    label: str
    endpoint: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Holder:
    """What one feature holds about a person.

    - `key`: the section's key in the JSON copy (ASCII, Vietnamese words: "dang_ky_su_kien");
    - `models`: every table whose rows this holder copies and erases (checked by the registry test);
    - `export(user, limit=None)`: plain JSON-able data (dict or list) with Vietnamese keys; a list
      that grows with the person's activity (audit rows, logins) stops at `limit` items when one is
      given (the page's preview), everything otherwise (the copy);
    - `erase(actor, user)`: erase or anonymise, add to the session, never commit; returns `Erasure`;
    - `erases` / `keeps`: one sentence each, shown on "my data", in the help and the request's note:
      what erasure removes, and what the Sở keeps (anonymised) and on what ground;
    - `labels`: labels of the export's keys for the page (the common ones are in `LABELS`);
    - `links(user)`: optional links shown with the section (where to correct the data);
    - `order`: position on the page and in the copy (lower first);
    - `erase_last`: run after every other holder (the account: the others find the person's rows
      by the account's email and phone, which its erasure replaces).
    """

    key: str
    title: str
    models: tuple[type, ...]
    export: Callable[..., dict | list]
    erase: Callable[[Any, Any], Erasure]
    erases: str
    keeps: str
    labels: Mapping[str, str] = field(default_factory=dict)
    links: Callable[[Any], list[Link]] | None = None
    note: str = ""
    order: int = 50
    erase_last: bool = False


_holders: dict[str, Holder] = {}
_platform_staff: list[Callable[[Any], bool]] = []


def register(holder: Holder) -> Holder:
    """Add a holder (called at import of a feature's privacy.py). Registering the same key again
    from the same module replaces it (a re-import); from another module it is a mistake."""
    existing = _holders.get(holder.key)
    if existing is not None and existing.export.__module__ != holder.export.__module__:
        raise ValueError(
            f"personal-data holder {holder.key!r} is already registered by {existing.export.__module__}"
        )
    _holders[holder.key] = holder
    return holder


def holders() -> list[Holder]:
    """Every registered holder, in page order."""
    return sorted(_holders.values(), key=lambda h: (h.order, h.key))


def erasure_order() -> list[Holder]:
    return sorted(holders(), key=lambda h: h.erase_last)


def covered_models() -> set[type]:
    return {model for holder in _holders.values() for model in holder.models}


def define_platform_staff(check: Callable[[Any], bool]) -> None:
    """The feature that scopes organisers (contests: an organiser with contest rows manages only
    those) says who is platform-wide staff; privacy asks it without importing that feature."""
    _platform_staff[:] = [check]


def is_platform_staff(user: User) -> bool:
    """Sở staff and administrators: they work the queue of data requests. Admins always; others
    only when the scoping feature says so (no rule registered: nobody but admins)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if Role.ADMIN in user.roles:
        return True
    return bool(_platform_staff) and Role.ORGANISER in user.roles and _platform_staff[0](user)


# Labels of the keys most sections share; a holder adds its own in `Holder.labels`.
LABELS = {
    "ho_ten": "Họ và tên",
    "email": "Email",
    "dien_thoai": "Điện thoại",
    "don_vi": "Đơn vị, tổ chức",
    "ngay_sinh": "Ngày sinh",
    "gioi_tinh": "Giới tính",
    "xa_phuong": "Xã, phường",
    "trang_thai": "Trạng thái",
    "cuoc_thi": "Cuộc thi",
    "su_kien": "Sự kiện",
    "vong": "Vòng chấm",
    "ma_ho_so": "Mã hồ sơ",
    "vai_tro": "Vai trò",
    "dong_y": "Đồng ý",
    "ghi_chu": "Ghi chú",
    "luc": "Thời điểm",
    "dia_chi_ip": "Địa chỉ IP",
}


def label(holder: Holder, key: str) -> str:
    return holder.labels.get(key) or LABELS.get(key) or key
