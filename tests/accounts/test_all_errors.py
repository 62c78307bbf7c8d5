"""Account forms name every bad field in one answer (issue 15), and keep what can be kept."""

import re

import pytest

from app.accounts import services
from app.accounts.models import User
from app.errors import FieldErrors, Invalid, apply_error
from app.extensions import db
from tests.conftest import submit

SIGNUP = "/tai-khoan/dang-ky"
GOOD = {
    "full_name": "Trần Thị Bình",
    "email": "binh@example.vn",
    "phone": "0987 654 321",
    "password": "LuaGao2024",
    "password_confirm": "LuaGao2024",
}


def field_error(html: str, field_id: str) -> str | None:
    found = re.search(rf'<small id="{field_id}-error" class="field-error">(.*?)</small>', html, re.S)
    return found.group(1) if found else None


def password_values(html: str) -> list[str]:
    return re.findall(r'<input[^>]*type="password"[^>]*value="([^"]*)"', html)


# --- the service: one refusal naming each field ----------------------------------------------------


def test_check_signup_refuses_every_bad_field_at_once(app):
    with pytest.raises(Invalid) as info:
        services.check_signup("B", "không-phải-email", "0212345678", "ngan1")
    assert set(info.value.errors) == {"full_name", "email", "phone", "password"}
    assert info.value.errors["password"] == "Mật khẩu phải có ít nhất 8 ký tự."
    assert info.value.field == "full_name"
    # One message for the CLI, a flash or a JSON client: every refusal, in the fields' order.
    assert info.value.message.startswith("Vui lòng nhập họ và tên đầy đủ.")
    assert "Số điện thoại di động không hợp lệ" in info.value.message


def test_register_user_reports_a_taken_email_with_the_other_problems(app, make_user):
    make_user("binh@example.vn")
    with pytest.raises(Invalid) as info:
        services.register_user("Trần Thị Bình", "BINH@example.vn", "12", "LuaGao2024")
    assert set(info.value.errors) == {"email", "phone"}
    assert "đã được dùng" in info.value.errors["email"]
    assert db.session.query(User).count() == 1


def test_change_password_names_a_wrong_current_and_a_weak_new_password_together(app, make_user):
    user = make_user("an@example.vn")
    with pytest.raises(Invalid) as info:
        services.change_password(user, "sai-mat-khau-1", "abc")
    assert info.value.errors == {
        "current_password": "Mật khẩu hiện tại không đúng.",
        "new_password": "Mật khẩu phải có ít nhất 8 ký tự.",
    }


def test_field_errors_keeps_the_first_message_of_a_field_and_refuses_once():
    errors = FieldErrors()
    assert not errors
    errors.raise_if_any()  # nothing collected: nothing raised
    errors.add("a", "Một.")
    errors.add("a", "Hai.")
    errors.absorb(Invalid("Chung.", code="x"))
    with pytest.raises(Invalid) as info:
        errors.raise_if_any()
    assert info.value.errors == {"a": "Một.", "": "Chung."}
    assert info.value.message == "Một. Chung."
    with pytest.raises(ValueError):
        Invalid.many({})


def test_apply_error_puts_each_message_on_its_field_and_the_rest_on_top(app):
    from app.accounts.forms import ProfileForm

    with app.test_request_context("/", method="POST", data={"full_name": "", "phone": "0987654321"}):
        form = ProfileForm(meta={"csrf": False})
        form.validate()  # the form itself refuses the empty name
        apply_error(
            form,
            Invalid.many({"full_name": "Khác.", "phone": "Số sai.", "nowhere": "Chung.", "": "Cả biểu mẫu."}),
        )
        assert form.full_name.errors == ["Vui lòng nhập họ và tên."]  # the form's own message is kept
        assert form.phone.errors == ["Số sai."]
        assert form.form_errors == ["Chung.", "Cả biểu mẫu."]


# --- the pages ------------------------------------------------------------------------------------


def test_signup_with_three_bad_fields_answers_all_three_in_one_response(client, outbox):
    response = submit(
        client,
        SIGNUP,
        {
            **GOOD,
            "full_name": "B",
            "phone": "0212345678",
            "password": "12345678",
            "password_confirm": "12345678",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "full_name") == "Vui lòng nhập họ và tên đầy đủ."
    assert "Số điện thoại di động không hợp lệ" in field_error(html, "phone")
    assert field_error(html, "password") == "Mật khẩu phải có cả chữ và số."
    assert html.count('aria-invalid="true"') == 3
    # Typed values survive; a refused password is not typed back.
    assert 'value="B"' in html and 'value="binh@example.vn"' in html and 'value="0212345678"' in html
    assert password_values(html) == ["", ""]
    assert db.session.query(User).count() == 0 and not outbox


def test_signup_form_and_service_errors_show_together(client):
    """A mismatch (the form's check) no longer hides the phone (the service's check)."""
    response = submit(client, SIGNUP, {**GOOD, "phone": "12", "password_confirm": "LuaGao2025"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "password_confirm") == "Hai mật khẩu không khớp nhau."
    assert "Số điện thoại di động không hợp lệ" in field_error(html, "phone")
    assert password_values(html) == ["", ""]  # they did not match: both are typed again


def test_signup_keeps_a_valid_matching_password_when_another_field_is_refused(client, make_user):
    make_user("binh@example.vn")
    response = submit(client, SIGNUP, {**GOOD, "full_name": "<b>"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "full_name") and "đã được dùng" in field_error(html, "email")
    assert password_values(html) == ["LuaGao2024", "LuaGao2024"]
    assert html.count('autocomplete="new-password"') == 2


def test_signup_empty_post_names_every_field(client):
    response = submit(client, SIGNUP, {})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field_id in ("full_name", "email", "phone", "password", "password_confirm"):
        assert field_error(html, field_id), field_id


def test_profile_names_both_bad_fields(client, login, make_user):
    login(make_user("an@example.vn").email)
    response = submit(client, "/tai-khoan/ho-so", {"full_name": "A1", "phone": "0212345678"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "full_name") == "Họ và tên chỉ gồm chữ cái và khoảng trắng."
    assert field_error(html, "phone")


def test_change_password_names_every_problem_at_once(client, login, make_user):
    login(make_user("an@example.vn").email)
    response = submit(
        client,
        "/tai-khoan/doi-mat-khau",
        {"current_password": "", "new_password": "abc", "new_password_confirm": "abd"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "current_password") == "Vui lòng nhập mật khẩu hiện tại."
    assert field_error(html, "new_password") == "Mật khẩu phải có ít nhất 8 ký tự."
    assert field_error(html, "new_password_confirm") == "Hai mật khẩu không khớp nhau."
