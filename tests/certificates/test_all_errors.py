"""The certificate template form names a bad seal and a missing title together (issue 15), and
changes nothing of the template when it refuses."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from app.certificates import services
from app.errors import Invalid


def test_seal_and_title_refused_together_and_the_template_kept(world):
    template = services.template_for(contest=world.contest)
    before = template.title
    seal = FileStorage(stream=io.BytesIO(b"MZ\x90\x00" + b"\x00" * 400), filename="dau.png")
    with pytest.raises(Invalid) as info:
        services.save_template(
            world.staff, template, {"title": " ", "signer_name": "Trương Thị Ý"}, seal=seal
        )
    assert info.value.errors == {
        "seal": "Ảnh con dấu phải là tệp PNG hoặc JPEG.",
        "title": "Vui lòng nhập tiêu đề giấy chứng nhận.",
    }
    assert template.title == before and template.signer_name != "Trương Thị Ý"
