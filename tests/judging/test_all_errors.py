"""Round settings and a manual decision name every bad field in one refusal (issue 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.errors import Invalid
from app.judging import scoring, services
from app.localtime import utcnow


def test_round_settings_name_every_bad_field(world):
    now = utcnow()
    settings = services.RoundSettings(
        name="X",
        method="ngau-nhien",
        judges_per_entry=0,
        top_n=0,
        opens_at=now,
        closes_at=now - timedelta(days=1),
        min_average="abc",
    )
    with pytest.raises(Invalid) as info:
        services.update_round(world.organiser, world.round, settings)
    errors = info.value.errors
    assert set(errors) == {"name", "method", "judges_per_entry", "top_n", "closes_at", "min_average"}
    assert errors["name"] == "Vui lòng nhập tên vòng chấm (ví dụ: Sơ khảo)."
    assert errors["judges_per_entry"] == (
        f"Số giám khảo chấm mỗi hồ sơ phải là số nguyên từ 1 đến {scoring.MAX_JUDGES_PER_ENTRY}."
    )
    assert world.round.name == "Sơ khảo"


def test_manual_decision_names_decision_and_reason_together(world):
    with pytest.raises(Invalid) as info:
        services.set_override(world.organiser, world.round, world.entries[0].id, "", "ok")
    assert info.value.errors == {
        "decision": "Vui lòng chọn quyết định.",
        "reason": "Vui lòng ghi rõ lý do của quyết định thủ công.",
    }
