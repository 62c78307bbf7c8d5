"""Contest fixtures: a configurable contest, document bytes of each kind, a complete eligible entry."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
from werkzeug.datastructures import FileStorage

from app.contests import entries, services
from app.contests.entries import MemberData
from app.contests.services import ContestData, SlotSpec
from app.localtime import to_local, utcnow

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ALL_CONSENTS = {"process_entry": True, "publish_awards": True, "share_partners": False}
COMMUNE = "21034"  # Xã An Phú, Quảng Ngãi (vietnam-provinces)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(data: bytes, name: str = "thuyet-minh.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def local_today() -> date:
    return to_local(utcnow()).date()


@pytest.fixture
def organiser(make_user):
    return make_user("bantochuc@example.vn", roles=("organiser",), name="Trần Thị Thu Hà")


@pytest.fixture
def make_contest(organiser):
    counter = {"n": 0}

    def _make(**overrides):
        counter["n"] += 1
        n = counter["n"]
        today = local_today()
        data = ContestData(
            name=f"Cuộc thi ý tưởng thử nghiệm {n}",
            slug=f"thu-nghiem-{n}",
            year=today.year,
            code_prefix=f"TN{n}",
            opens_local=datetime.combine(today - timedelta(days=10), datetime.min.time()),
            closes_local=datetime.combine(today + timedelta(days=30), datetime.min.time()).replace(
                hour=23, minute=59
            ),
            fields=["Nông nghiệp", "Du lịch", "Khác"],
            tracks=[("Bảng Ý tưởng", None), ("Bảng Dự án", 5)],
            slots=[SlotSpec("thuyet-minh", "Bản thuyết minh", ["pdf", "docx"], 1, True)],
            form_fields={"problem": "required", "solution": "optional"},
            min_age=18,
            max_age=35,
            team_min=1,
            team_max=3,
            max_entries_per_person=2,
        )
        for key, value in overrides.items():
            setattr(data, key, value)
        return services.create_contest(organiser, data)

    return _make


def person(name="Nguyễn Văn An", born=date(2000, 5, 17), **extra) -> MemberData:
    values = {"sex": "nam", "organisation": "Trường ĐH Phạm Văn Đồng", "commune_code": COMMUNE, **extra}
    return MemberData(full_name=name, birth_date=born, **values)


@pytest.fixture
def make_entry(make_user):
    counter = {"n": 0}

    def _make(contest, leader=None, *, members=(), born=date(2000, 5, 17), submit=False, file=PDF):
        counter["n"] += 1
        if leader is None:
            leader = make_user(f"leader{counter['n']}@example.vn", name="Lê Thị Hồng Nhung")
        entry = entries.start_entry(
            leader,
            contest,
            title=f"Máy sấy nông sản năng lượng mặt trời {counter['n']}",
            track_id=contest.tracks[0].id,
            leader=person(leader.full_name, born),
            consents=dict(ALL_CONSENTS),
        )
        entries.save_entry(
            leader,
            entry,
            entries.EntryData(
                title=entry.title,
                track_id=contest.tracks[0].id,
                field="Nông nghiệp",
                summary="Sấy khô nông sản bằng năng lượng mặt trời cho hộ nông dân miền núi.",
                answers={"problem": "Nông sản bị hư hỏng sau thu hoạch."},
                declared_original=True,
            ),
            uploads={"thuyet-minh": upload(file)} if file else None,
        )
        for member in members:
            entries.add_member(leader, entry, member)
        if submit:
            entries.submit_entry(leader, entry)
        return entry

    return _make
