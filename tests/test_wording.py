"""Wording the newcomers stumbled on (issue 15), checked in the code and on the pages.

- the account is "Tài khoản"; "Hồ sơ" means a dossier only;
- Vietnamese decimals: "10,0 MB", "77,5" (one helper: app.text.format_number / format_size, the
  `number_vn` / `size_vn` filters); no size or score formatted by hand with a dot;
- Vietnamese quotation marks “…”, never «…»;
- no label says "(bắt buộc)" twice;
- administrative units sort by their own name ("Đặc khu Lý Sơn" under L).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.contests.units import communes, districts_2024, sort_key
from app.text import format_number, format_size
from tests.conftest import submit

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    p
    for folder in ("app", "templates", "static/js")
    for p in (ROOT / folder).rglob("*")
    if p.suffix in {".py", ".html", ".txt", ".js"}
    and "vendor" not in p.parts
    and "translations" not in p.parts
]


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_no_french_quotation_marks_anywhere():
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if "«" in _text(p) or "»" in _text(p)]
    assert offenders == []


def test_no_size_or_score_formatted_by_hand_with_a_dot():
    """Sizes go through format_size / |size_vn, scores through format_number / |number_vn."""
    by_hand = re.compile(
        r"""replace\(\s*["']\.0["']|/ 1048576\)\|round|/ 1024\)\|round|\|replace\('\.', ','\) \}\}"""
    )
    offenders = [
        f"{p.relative_to(ROOT)}: {line.strip()[:80]}"
        for p in SOURCES
        for line in _text(p).splitlines()
        # A typed value put back in an input keeps what was typed (only its decimal point changes).
        if by_hand.search(line) and 'value="{{' not in line
    ]
    assert offenders == []


def test_the_account_is_called_tai_khoan_not_ho_so():
    base = _text(ROOT / "templates/base.html")
    assert re.search(r"url_for\('accounts\.profile'\) \}\}\">\{\{ _\(\"Tài khoản\"\) \}\}", base)
    for path in SOURCES:
        text = _text(path)
        assert "Hồ sơ cá nhân" not in text and "trang Hồ sơ;" not in text, path


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (77.5, None, "77,5"),
        ("15.5", None, "15,5"),
        ("15,5", None, "15,5"),
        (10, 1, "10,0"),
        (48.5, 2, "48,50"),
        (2.345, 2, "2,35"),  # half up, as a judge counts
        (12345.6, None, "12.345,6"),
        (1000, None, "1000"),
        (-0.001, 1, "0,0"),
        (None, None, "—"),
        ("", None, "—"),
        ("mười", None, "mười"),
        ("nan", None, "nan"),
    ],
)
def test_format_number(value, places, shown):
    assert format_number(value, places) == shown


def test_format_size():
    assert format_size(10 * 1024 * 1024) == "10,0 MB"
    assert format_size(1536 * 1024) == "1,5 MB"
    assert format_size(850 * 1024) == "850 KB"
    assert format_size(10) == "1 KB"


def test_number_filters_in_templates(app):
    with app.test_request_context():
        template = app.jinja_env.from_string(
            "{{ 77.5|number_vn }} {{ 15|number_vn(1) }} {{ 10485760|size_vn }}"
        )
        assert template.render() == "77,5 15,0 10,0 MB"


def test_units_sort_by_their_own_name():
    names = [u.name for u in communes()]
    keys = [sort_key(n) for n in names]
    assert keys == sorted(keys)
    ly_son = names.index("Đặc khu Lý Sơn")
    assert sort_key(names[ly_son - 1])[0] < "ly son" < sort_key(names[ly_son + 1])[0]
    assert sort_key(names[ly_son - 1])[0].startswith("l")
    assert sort_key("Thị trấn Châu Ổ") == ("chau o", "thi tran chau o")
    assert [u.name for u in districts_2024()][:3] == ["Huyện Ba Tơ", "Huyện Bình Sơn", "Thị xã Đức Phổ"]


def test_a_consent_label_that_says_required_is_not_marked_again(app, client):
    from app.accounts import services as accounts
    from app.events import services as events
    from tests.factories import event_data

    organiser, _ = accounts.create_user(
        "btc@example.vn", "organiser", password="GaoLua2024", full_name="Trần Hà"
    )
    event = events.create_event(organiser, event_data("ngay-hoi", "Ngày hội KNĐMST"))
    html = client.get(f"/su-kien/{event.slug}").get_data(as_text=True)
    assert "(bắt buộc để nhận vé)" in html
    assert html.count("bắt buộc") == html.count("bắt buộc để nhận vé") + html.count("không bắt buộc")


def test_account_pages_say_tai_khoan(client, make_user, login):
    login(make_user("an@example.vn").email)
    html = client.get("/tai-khoan/ho-so").get_data(as_text=True)
    assert "<h1>Tài khoản</h1>" in html and "<title>Tài khoản" in html
    assert ">Tài khoản</a>" in html and ">Hồ sơ</a>" not in html
    changed = submit(client, "/tai-khoan/doi-mat-khau", {}).get_data(as_text=True)
    assert "← Tài khoản" in changed


def test_a_list_whose_items_hold_commas_is_shown_as_a_list(app):
    with app.test_request_context():
        template = app.jinja_env.from_string(
            '{% from "_macros.html" import value_list %}{{ value_list(items) }}'
        )
        assert template.render(items=["Nông nghiệp", "Khác"]) == "Nông nghiệp, Khác"
        listed = template.render(items=["Nông nghiệp, thủy sản", "Khác"])
        assert listed == '<ul class="value-list"><li>Nông nghiệp, thủy sản</li><li>Khác</li></ul>'
