"""What the accounts package holds about a person, for "my data" and deletion requests.

Erasure anonymises and locks the account rather than deleting it. Deleting the row would cascade
to the rows that point at it (a judge's score sheets: `judging_assignments.judge_id` is ON DELETE
CASCADE), changing published results; keeping it as it is would keep the name, email and phone the
person asked us to erase. An account with the admin role is refused: the platform must not lose
its administrators through a queue that Sở staff work (remove the role first).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from app.accounts.models import ROLE_LABELS, AccountToken, LoginAttempt, Role, User, UserRole, UserSession
from app.database import rowcount
from app.errors import Conflict
from app.extensions import db
from app.privacy.registry import ERASED, Erasure, Holder, Link, erased_email, iso, register

# Not an Argon2 hash: verification fails (InvalidHashError) for every password.
UNUSABLE_PASSWORD = "!"  # noqa: S105 (a stored hash that matches nothing, not a password)


def export_account(user: User, limit: int | None = None) -> dict:
    open_sessions = db.session.scalars(
        select(UserSession.id).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).all()
    return {
        "ho_ten": user.full_name,
        "email": user.email,
        "dien_thoai": user.phone,
        "ngay_tao": iso(user.created_at),
        "xac_nhan_email_luc": iso(user.email_verified_at),
        "dang_nhap_gan_nhat": iso(user.last_login_at),
        "vai_tro": sorted(str(ROLE_LABELS.get(role, role)) for role in user.roles),
        "dang_hoat_dong": user.is_active_account,
        "so_phien_dang_nhap_dang_mo": len(open_sessions),
    }


def erase_account(actor: User | None, user: User) -> Erasure:
    if Role.ADMIN in user.roles:
        raise Conflict(
            "Tài khoản này có quyền quản trị hệ thống: hãy nhờ quản trị viên khác bỏ quyền đó trước, "
            "rồi thực hiện yêu cầu xoá."
        )
    user.full_name = ERASED
    user.email = erased_email(user.id)
    user.phone = None
    user.password_hash = UNUSABLE_PASSWORD
    user.last_login_at = None
    user.is_active_account = False
    user.session_version = (user.session_version or 1) + 1  # every device is logged out
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return Erasure(["tài khoản: họ tên, email, điện thoại và mật khẩu đã xoá, tài khoản đã khoá"])


def account_links(user: User) -> list[Link]:
    return [Link("Sửa họ tên, số điện thoại", "accounts.profile")]


register(
    Holder(
        key="tai_khoan",
        title="Tài khoản",
        models=(User, UserRole, AccountToken, UserSession),
        export=export_account,
        erase=erase_account,
        erases="Họ tên, email, điện thoại, mật khẩu và các phiên đăng nhập; tài khoản bị khoá.",
        keeps=(
            "Một tài khoản đã khoá, không còn thông tin nhận diện, để điểm chấm, hồ sơ và nhật ký "
            "trỏ tới nó vẫn đúng (xoá hẳn sẽ làm mất điểm đã chấm và đổi kết quả)."
        ),
        labels={
            "ngay_tao": "Ngày tạo",
            "xac_nhan_email_luc": "Xác nhận email lúc",
            "dang_nhap_gan_nhat": "Đăng nhập gần nhất",
            "dang_hoat_dong": "Đang hoạt động",
            "so_phien_dang_nhap_dang_mo": "Số phiên đăng nhập đang mở",
        },
        links=account_links,
        order=10,
        erase_last=True,  # the other holders find the person by this account's email and phone
    )
)


def export_login_attempts(user: User, limit: int | None = None) -> list:
    return [
        {"luc": iso(row.at), "dia_chi_ip": row.ip, "thanh_cong": row.succeeded}
        for row in db.session.scalars(
            select(LoginAttempt)
            .where(LoginAttempt.email == user.email)
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        )
    ]


def erase_login_attempts(actor: User | None, user: User) -> Erasure:
    # They exist for throttling (minutes) and security review; nothing reports on them, and a row
    # without its email or address says nothing, so they are deleted rather than anonymised.
    count = rowcount(db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email)))
    return Erasure([f"{count} lần đăng nhập (email, địa chỉ IP)"] if count else [])


register(
    Holder(
        key="lich_su_dang_nhap",
        title="Lịch sử đăng nhập",
        models=(LoginAttempt,),
        export=export_login_attempts,
        erase=erase_login_attempts,
        erases="Mọi lần đăng nhập (email, địa chỉ IP, thời điểm) được xoá hẳn.",
        keeps="",
        labels={"thanh_cong": "Thành công"},
        order=15,
    )
)
