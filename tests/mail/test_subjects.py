"""Every mail's subject survives folding (issue 15): long Vietnamese subjects decode back exactly.

Python's own folder (3.11) could drop the space between two words at a fold ("khởi nghiệpđổi mới").
Each `send_email(` call in app/ is found by reading the code, so a new mail cannot be forgotten:
its subject expression is rebuilt with the longest names the database holds (an f-string's every
placeholder becomes a 200-character Vietnamese name), sent through the real `send_email` and read
back with the `email` package. The header is folded on its own, whatever the body says, so those
cases carry one stand-in body; the mails whose subjects hold names are also driven through their
service with the real template (below, and in each package's tests).
"""

from __future__ import annotations

import ast
import email
import email.policy
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.mail.services import MAIL_POLICY, outbox, send_email

ROOT = Path(__file__).resolve().parents[2]
# 200 characters, the length of a contest's or an event's name column: folds over several lines,
# with words of every kind at the folds (tones, đ, en dash, quotes, parentheses, digits).
LONG_NAME = (
    "Cuộc thi “Khởi nghiệp đổi mới sáng tạo” tỉnh Quảng Ngãi năm 2026 – bảng Ý tưởng (học sinh, "
    "sinh viên, thanh niên khởi nghiệp) và bảng Dự án; nông nghiệp công nghệ cao, du lịch Lý Sơn"
)[:200]


def _decoded(message) -> str:
    return str(email.message_from_bytes(bytes(message), policy=email.policy.default)["Subject"])


def _calls() -> list[tuple[str, int, ast.expr, ast.expr]]:
    """(file, line, subject expression, template expression) of every send_email call in app/."""
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "send_email" and len(node.args) >= 3:
                found.append((str(path.relative_to(ROOT)), node.lineno, node.args[1], node.args[2]))
    return found


def _long(expr: ast.expr, names: dict[str, ast.expr]) -> list[str]:
    """Every subject the expression can produce, each placeholder a long Vietnamese name."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append(LONG_NAME)
        return ["".join(parts)]
    if isinstance(expr, ast.Subscript):  # subjects[status]: every value of the dict literal
        return _long(names[ast.unparse(expr.value)], names)
    if isinstance(expr, ast.Dict):
        return [text for value in expr.values for text in _long(value, names)]
    if isinstance(expr, ast.Name) and expr.id in names:
        return _long(names[expr.id], names)
    return []


def _templates(expr: ast.expr) -> list[str]:
    if isinstance(expr, ast.Constant):
        return [expr.value]
    if isinstance(expr, ast.JoinedStr):  # f"mail/booth_{status}.txt": every template that fits
        prefix = "".join(str(v.value) for v in expr.values[:1] if isinstance(v, ast.Constant))
        return sorted(
            str(p.relative_to(ROOT / "templates"))
            for p in (ROOT / "templates").glob(prefix + "*.txt")
            if p.name != "booth_offered.txt" and p.name != "booth_allocated.txt"
        )
    return []


def _assignments(path: str) -> dict[str, ast.expr]:
    """Names assigned in the module (a dict of subjects), for subjects read from a variable."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _forwarded(path: str, line: int) -> list[tuple[ast.expr, ast.expr]]:
    """(subject, template) of each call of the helper whose `send_email` passes its parameters on
    (`_mail_leader(entry, subject, template)`)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    helper = next(
        fn
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef) and fn.lineno <= line <= (fn.end_lineno or fn.lineno)
    )
    params = [a.arg for a in helper.args.args]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == helper.name:
            args = dict(zip(params, node.args, strict=False))
            found.append((args["subject"], args["template"]))
    return found


def _cases() -> list[tuple[str, str, str]]:
    """(where, template, long subject) for every mail the app can send."""
    cases = []
    for path, line, subject, template in _calls():
        if path == "app/mail/services.py":
            continue
        names = _assignments(path)
        pairs = [(subject, template)]
        if isinstance(subject, ast.Name) and subject.id == "subject":
            pairs = _forwarded(path, line)
        for subject_expr, template_expr in pairs:
            subjects = _long(subject_expr, names)
            templates = _templates(template_expr)
            assert subjects and templates, f"{path}:{line}: cannot read the subject or template of this mail"
            if len(subjects) == len(templates):  # one subject per template (booth decisions)
                cases += [(f"{path}:{line}", t, s) for t, s in zip(templates, subjects, strict=True)]
            else:
                cases += [(f"{path}:{line}", t, s) for t in templates for s in subjects]
    return cases


CASES = _cases()


def test_every_mail_template_is_sent_by_a_case():
    """A template of mail no case sends means a call this test cannot read: teach it."""
    on_disk = {str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("mail/*.txt")}
    assert on_disk == {template for _where, template, _subject in CASES}
    assert len(_calls()) >= 14


@pytest.mark.parametrize(("where", "template", "subject"), CASES, ids=[f"{c[1]}" for c in CASES])
def test_each_mail_subject_round_trips(app, where, template, subject):
    assert (ROOT / "templates" / template).is_file()
    person = SimpleNamespace(full_name="Nguyễn Thị Ánh Tuyết")
    with app.test_request_context():
        send_email(
            "nguoi.nhan@example.vn", subject, "mail/verify_email.txt", user=person, token="t", hours=48
        )
    message = outbox()[-1]
    assert _decoded(message) == subject, where
    head = bytes(message).split(b"\n\n", 1)[0]
    assert max(len(line) for line in head.splitlines()) <= 78  # folded as RFC 5322 asks


def test_the_subject_that_lost_a_space_now_keeps_it():
    """The exact failure seen: Python's default policy drops a space; ours does not."""
    subject = (
        "KNĐMST KNĐMST chung sáng sáng chấm Ngãi Hồ tỉnh hội” : Ngãi chung chấm mã – mã Bạn đã : "
        "Hồ Vòng chấm đổi “Ngày : Quảng"
    )
    plain = email.message.EmailMessage()
    plain["Subject"] = subject
    assert _decoded(plain) != subject  # what happened before (CPython's folder)
    ours = email.message.EmailMessage(policy=MAIL_POLICY)
    ours["Subject"] = subject
    assert _decoded(ours) == subject
    smtp = ours.as_bytes(policy=MAIL_POLICY.clone(linesep="\r\n"))  # what smtplib sends
    assert str(email.message_from_bytes(smtp, policy=email.policy.default)["Subject"]) == subject


# --- a few mails driven through their service, with the longest names --------------------------------


def test_event_ticket_mail_through_registration(app):
    from app.events import registration
    from app.events import services as events
    from tests.factories import event_data

    organiser = _organiser()
    event = events.create_event(organiser, event_data("ngay-hoi-dai", LONG_NAME))
    registration.register_attendee(
        event,
        {
            "full_name": "Nguyễn Thị Hồng",
            "phone": "0905000111",
            "category": "Khách tham quan",
            "email": "hong@example.vn",
        },
        {"process_registration": True, "newsletter": False},
    )
    sent = [m for m in outbox() if m["To"] == "hong@example.vn"]
    assert sent and _decoded(sent[-1]) == f"Vé tham dự: {LONG_NAME}"


def test_judge_invitation_mail_through_the_panel(app):
    from app.contests import services as contests  # noqa: F401 (models registered)
    from app.extensions import db
    from app.judging import services as judging
    from tests.factories import contest_with_tracks

    organiser = _organiser()
    contest, _tracks = contest_with_tracks(name=LONG_NAME)
    db.session.commit()
    round_ = judging.create_round(
        organiser, contest, judging.RoundSettings(name="Vòng chung khảo bảng Ý tưởng đổi mới sáng tạo")
    )
    judging.invite_judge(organiser, round_, "moi@example.vn", "Võ Văn Mời")
    sent = [m for m in outbox() if m["To"] == "moi@example.vn"]
    expected = f"Thư mời chấm Vòng chung khảo bảng Ý tưởng đổi mới sáng tạo – {LONG_NAME}"
    assert sent and _decoded(sent[-1]) == expected


def test_account_mails_through_their_service(app):
    from app.accounts import services as accounts

    accounts.register_user("Nguyễn Thị Ánh Tuyết", "tuyet@example.vn", "0905123456", "LuaGao2024")
    accounts.request_password_reset("tuyet@example.vn")
    subjects = [_decoded(m) for m in outbox() if m["To"] == "tuyet@example.vn"]
    assert subjects == [
        "Xác nhận địa chỉ email – Nền tảng KNĐMST Quảng Ngãi",
        "Đặt lại mật khẩu – Nền tảng KNĐMST Quảng Ngãi",
    ]


def _organiser():
    from app.accounts import services as accounts

    user, _ = accounts.create_user(
        "btc@example.vn", "organiser", password="GaoLua2024", full_name="Trần Thị Thu Hà"
    )
    return user
