"""A side prize can be given on a component, e.g. "Giải do khán giả bình chọn" on the votes' component
(judging's prize plan; the live final writes the votes into the component)."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.judging import services as judging
from app.judging.services import rounds, sheets
from app.live import services as live
from tests.live.conftest import RUBRIC_SCORES


def test_a_side_prize_on_the_votes_component(live_round):
    organiser, round_ = live_round.organiser, live_round.round
    rounds.save_components(
        organiser, round_, [{"name": "Khán giả bình chọn", "max_points": "20", "weight": "1"}]
    )
    component = round_.components[0]["id"]
    with pytest.raises(Invalid, match="không có trong vòng"):
        rounds.save_prize_plan(
            organiser, round_, {}, [{"name": "Giải khán giả", "criterion": "component:khong-co"}]
        )
    rounds.save_prize_plan(
        organiser,
        round_,
        {"Chung": {"nhat": 1}},
        [{"name": "Giải do khán giả bình chọn", "criterion": f"component:{component}", "count": 1}],
    )
    assert round_.prize_plan["side"][0]["component"] == component
    favourite = live_round.entries[2]
    for _ in live_round.entries:
        live.start(organiser, live_round.stage)
        entry_id = live_round.stage.current_entry_id
        for judge in live_round.judges:
            sheet = sheets.get_sheet_for_judge(judge, round_.id, entry_id)
            sheets.save_sheet(judge, sheet, dict(RUBRIC_SCORES), {}, "", sheet.version, submit=True)
        live.close(organiser, live_round.stage)
    rounds.save_component_scores(
        organiser,
        round_,
        {(e.id, component): ("20" if e.id == favourite.id else "5") for e in live_round.entries},
    )
    prizes = judging.compute_results(round_).prizes
    audience = [a for a in prizes.awards if a.prize_name == "Giải do khán giả bình chọn"]
    assert [a.entry.id for a in audience] == [favourite.id]
