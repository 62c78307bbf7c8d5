"""Account rules without HTTP: sign-up, verification, throttling, reset links, roles."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import AccountToken, Role, User
from app.audit.models import AuditEvent
from app.errors import Conflict, Invalid, PermissionDenied, TooManyAttempts
from app.extensions import db
from app.localtime import utcnow


def token_from(message) -> str:
    body = message.get_content()
    return (
        body.split("/xac-nhan/")[-1].split()[0]
        if "/xac-nhan/" in body
        else body.split("/dat-lai-mat-khau/")[-1].split()[0]
    )


def register(email="an@example.vn", phone="0912345678", password="LuaGao2024", name="Nguyễn Văn An"):
    return services.register_user(name, email, phone, password)


def test_register_stores_normalised_data_hashes_password_and_mails_link(app, outbox):
    user = register(email=" An@Example.VN ", phone="+84 912 345 678")
    assert user.email == "an@example.vn"
    assert user.phone == "+84912345678"
    assert user.password_hash.startswith("$argon2id$")
    assert "LuaGao2024" not in user.password_hash
    assert user.roles == {Role.APPLICANT}
    assert not user.is_verified
    assert len(outbox) == 1 and outbox[0]["To"] == "an@example.vn"
    assert "/tai-khoan/xac-nhan/" in outbox[0].get_content()
    # Only the hash of the token is stored.
    raw = token_from(outbox[0])
    assert db.session.scalar(select(AccountToken.token_hash)) != raw


def test_duplicate_email_in_any_case_is_refused_on_the_email_field(app):
    register(email="an@example.vn")
    with pytest.raises(Invalid) as info:
        register(email="AN@EXAMPLE.VN", phone="0987654321")
    assert info.value.field == "email"
    assert "đã được dùng" in info.value.message


def test_verify_email_is_single_use(app, outbox):
    register()
    raw = token_from(outbox[0])
    user = services.verify_email(raw)
    assert user.is_verified
    with pytest.raises(Invalid, match="đã được sử dụng"):
        services.verify_email(raw)
    with pytest.raises(Invalid, match="không hợp lệ"):
        services.verify_email("made-up-token")


def test_unverified_account_cannot_log_in_but_is_told_why(app):
    register()
    with pytest.raises(PermissionDenied) as info:
        services.authenticate("an@example.vn", "LuaGao2024", "1.1.1.1")
    assert info.value.code == "unverified"


def test_wrong_password_and_unknown_email_give_the_same_message(app, make_user):
    make_user("an@example.vn")
    with pytest.raises(Invalid) as wrong:
        services.authenticate("an@example.vn", "SaiMatKhau1", "1.1.1.1")
    with pytest.raises(Invalid) as unknown:
        services.authenticate("khong-co@example.vn", "SaiMatKhau1", "1.1.1.1")
    assert wrong.value.message == unknown.value.message


def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(app, make_user):
    make_user("an@example.vn")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        with pytest.raises(Invalid):
            services.authenticate("an@example.vn", "SaiMatKhau1", "1.1.1.1")
    with pytest.raises(TooManyAttempts):
        services.authenticate("AN@example.vn", "GaoLua2024", "2.2.2.2")
    # Another account from another address is unaffected.
    make_user("binh@example.vn")
    assert services.authenticate("binh@example.vn", "GaoLua2024", "3.3.3.3").email == "binh@example.vn"


def test_throttle_window_expires(app, make_user):
    from app.accounts.models import LoginAttempt

    make_user("an@example.vn")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(Invalid):
            services.authenticate("an@example.vn", "SaiMatKhau1", "1.1.1.1")
    old = utcnow() - timedelta(minutes=app.config["LOGIN_FAILURE_WINDOW_MINUTES"] + 1)
    for attempt in db.session.scalars(select(LoginAttempt)):
        attempt.at = old
    db.session.commit()
    assert services.authenticate("an@example.vn", "GaoLua2024", "1.1.1.1")


def test_failures_from_one_address_slow_it_down_but_never_refuse_a_correct_password(
    app, make_user, monkeypatch
):
    # Behind one venue's or school's address, one person guessing must not lock the others out.
    waits: list[float] = []
    monkeypatch.setattr(services.time, "sleep", waits.append)
    make_user("an@example.vn")
    for i in range(4 * app.config["LOGIN_MAX_FAILURES"]):
        with pytest.raises(Invalid):
            services.authenticate(f"guess{i}@example.vn", "SaiMatKhau1", "6.6.6.6")
    assert services.authenticate("an@example.vn", "GaoLua2024", "6.6.6.6").email == "an@example.vn"
    free = app.config["LOGIN_IP_FREE_FAILURES"]
    # No wait for the first `free` failures, then a growing one, capped.
    assert len(waits) == 4 * app.config["LOGIN_MAX_FAILURES"] - free + 1
    assert waits[0] == 0.5 and waits[1] == 1.0 and waits[2] == 2.0
    assert max(waits) == app.config["LOGIN_IP_MAX_DELAY_SECONDS"]
    # Another address is not slowed at all.
    waits.clear()
    assert services.authenticate("an@example.vn", "GaoLua2024", "7.7.7.7")
    assert waits == []


def test_reset_link_works_once_and_kills_other_links(app, outbox, make_user):
    make_user("an@example.vn")
    services.request_password_reset("an@example.vn")
    services.request_password_reset("an@example.vn")
    first, second = token_from(outbox[0]), token_from(outbox[1])
    services.reset_password(second, "GaoMoi2025x")
    assert services.authenticate("an@example.vn", "GaoMoi2025x", "1.1.1.1")
    with pytest.raises(Invalid, match="đã được sử dụng"):
        services.reset_password(second, "GaoMoi2026x")
    with pytest.raises(Invalid, match="đã được sử dụng"):
        services.reset_password(first, "GaoMoi2026x")


def test_reset_link_expires(app, outbox, make_user):
    make_user("an@example.vn")
    services.request_password_reset("an@example.vn")
    raw = token_from(outbox[0])
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Invalid, match="hết hạn"):
        services.reset_password(raw, "GaoMoi2025x")
    assert services.authenticate("an@example.vn", "GaoLua2024", "1.1.1.1")  # old password still works


def test_reset_for_unknown_email_sends_nothing(app, outbox):
    services.request_password_reset("khong-co@example.vn")
    assert outbox == []


def test_weak_new_password_is_refused_and_link_stays_usable(app, outbox, make_user):
    make_user("an@example.vn")
    services.request_password_reset("an@example.vn")
    raw = token_from(outbox[0])
    with pytest.raises(Invalid) as info:
        services.reset_password(raw, "123")
    assert info.value.field == "password"
    db.session.rollback()
    assert services.check_reset_token(raw).email == "an@example.vn"


def test_change_password_requires_current_and_logs_out_other_sessions(app, make_user):
    user = make_user("an@example.vn")
    phone_session = services.start_session(user).get_id()
    assert services.load_session_user(phone_session) == user
    with pytest.raises(Invalid) as info:
        services.change_password(user, "sai", "GaoMoi2025x")
    assert info.value.field == "current_password"
    services.change_password(user, "GaoLua2024", "GaoMoi2025x")
    assert services.load_session_user(phone_session) is None
    assert services.load_session_user(services.start_session(user).get_id()) == user


def test_session_ids_that_are_not_ours_are_refused(app, make_user):
    user = make_user("an@example.vn")
    good = services.start_session(user).get_id()
    user_id, version, key = good.split(":")
    for bad in (
        "",
        "1",
        f"{user_id}:{version}",
        f"{user_id}:{version}:",
        f"{user_id}:x:{key}",
        f"{user_id}:{version}:{key}x",
        f"{int(user_id) + 1}:{version}:{key}",
        "a:b:c:d",
    ):
        assert services.load_session_user(bad) is None, bad
    assert services.load_session_user(good) == user


def test_set_roles_is_audited_and_admin_cannot_lock_themselves_out(app, make_user):
    admin = make_user("admin@example.vn", roles=("admin",))
    user = make_user("an@example.vn")
    services.set_roles(admin, user, {"judge", "organiser"}, True)
    assert user.roles == {Role.APPLICANT, Role.JUDGE, Role.ORGANISER}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.set_roles"))
    assert event.actor_id == admin.id and event.object_id == str(user.id)
    assert event.details["after"] == ["applicant", "judge", "organiser"]
    with pytest.raises(Conflict):
        services.set_roles(admin, admin, {"judge"}, True)
    with pytest.raises(PermissionDenied):
        services.set_roles(user, admin, {"judge"}, True)


def test_locking_an_account_logs_it_out_and_blocks_login(app, make_user):
    admin = make_user("admin@example.vn", roles=("admin",))
    user = make_user("an@example.vn")
    old_id = user.get_id()
    services.set_roles(admin, user, {"applicant"}, False)
    assert services.load_session_user(old_id) is None
    with pytest.raises(Invalid):
        services.authenticate("an@example.vn", "GaoLua2024", "1.1.1.1")


def test_create_user_generates_a_password_and_is_idempotent(app):
    user, generated = services.create_user("GK@example.vn", "judge")
    assert generated and user.is_verified and Role.JUDGE in user.roles
    again, generated_again = services.create_user("gk@example.vn", "checkin_staff")
    assert again.id == user.id and generated_again is None
    assert again.roles == {Role.APPLICANT, Role.JUDGE, Role.CHECKIN}
    assert db.session.scalar(select(db.func.count(User.id))) == 1
    with pytest.raises(Invalid):
        services.create_user("x@example.vn", "superuser")
