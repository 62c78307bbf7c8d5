"""Nothing typed is lost even when a save never reaches the server: a body over the request limit is
refused unread (413), and the dossier page then offers to restore what was typed on this device."""

from playwright.sync_api import expect

from app.contests.models import Entry
from app.extensions import db
from tests.contests.e2e.test_entry_journey import setup_contest


def test_typed_text_survives_a_refused_save(page, live_server, shoot, tmp_path):
    setup_contest(live_server.app)
    app = live_server.app
    with app.app_context():
        from app.accounts import services as accounts
        from app.contests import entries, permissions
        from tests.contests.conftest import person

        user, _ = accounts.create_user(
            "ha@example.vn", "applicant", password="MiQuang2024", full_name="Võ Thị Hà"
        )
        contest = permissions.get_contest("y-tuong-2026")
        entry = entries.start_entry(
            user,
            contest,
            title="Tinh dầu sả Sơn Hà",
            track_id=None,
            leader=person("Võ Thị Hà"),
            consents={"process_entry": True},
        )
        entry_id = entry.id
    app.config["MAX_CONTENT_LENGTH"] = 6000
    big = tmp_path / "ban-scan.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * 20000)

    page.goto(live_server.url + "/tai-khoan/dang-nhap")
    page.get_by_label("Email").fill("ha@example.vn")
    page.get_by_label("Mật khẩu").fill("MiQuang2024")
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server.url}/bai-du-thi/{entry_id}/sua")
    typed = "Chưng cất tinh dầu sả tại xã Sơn Hà, bán cho khách du lịch và spa."
    page.get_by_label("Tóm tắt ý tưởng").fill(typed)
    page.get_by_label("Bản thuyết minh ý tưởng").set_input_files(str(big))
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_role("heading", name="Tệp quá lớn")).to_be_visible()
    shoot("too-large")
    page.get_by_role("link", name="Quay lại hồ sơ").click()
    assert page.get_by_label("Tóm tắt ý tưởng").input_value() == ""  # the server never got it…
    page.get_by_role("button", name="Khôi phục nội dung chưa lưu").click()
    assert page.get_by_label("Tóm tắt ý tưởng").input_value() == typed  # …the phone kept it
    shoot("restored")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_text("Đã lưu.")).to_be_visible()
    expect(page.get_by_role("button", name="Khôi phục nội dung chưa lưu")).to_have_count(0)
    with app.app_context():
        assert db.session.get(Entry, entry_id).summary == typed
