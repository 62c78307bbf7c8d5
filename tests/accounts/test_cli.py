"""CLI: create-user and seed-demo."""

from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.extensions import db


def test_create_user_with_role_and_password(runner, app):
    result = runner.invoke(
        args=["create-user", "gk@example.vn", "--role", "judge", "--password", "ChamDiem2024"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "gk@example.vn"))
    assert Role.JUDGE in user.roles and user.is_verified


def test_create_user_prints_generated_password_and_refuses_bad_role(runner, app):
    result = runner.invoke(args=["create-user", "vol@example.vn", "--role", "checkin_staff"])
    assert "Mật khẩu:" in result.output
    bad = runner.invoke(args=["create-user", "x@example.vn", "--role", "boss"])
    assert bad.exit_code != 0
    weak = runner.invoke(args=["create-user", "y@example.vn", "--role", "judge", "--password", "123"])
    assert weak.exit_code != 0 and "ít nhất 8" in weak.output


def test_seed_demo_is_idempotent_and_prints_accounts(runner, app):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(select(func.count(User.id)))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == count
    for role in Role:
        assert db.session.scalar(select(func.count(User.id)).where(User.role_rows.any(role=role.value))) >= 1
    assert "admin@demo.kndmst.vn" in second.output and "QuanTri@2024" in second.output
