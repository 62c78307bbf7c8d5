"""What issue 9's hardening costs on the paths every request takes.

    .venv/bin/python bench/bench_hardening.py [objects]   (SQLite in a temp folder; DATABASE_URL for PostgreSQL)

Three pairs, each measured in the same run (best of 5, `time.perf_counter`):
  text      — `app.text.normalize` on realistic Vietnamese names (NFC check + one regex + a Cf scan)
              vs `unicodedata.normalize("NFC", …).strip()` alone (what the code did before);
  objects   — building N attendees (6 text columns) with the column guard vs the same columns on a
              model outside db.Model, which the guard leaves alone (the cost every write now pays);
  requests  — a signed-in page (`/tai-khoan/ho-so`: the user loader now joins `user_sessions`) vs the
              anonymous home page, through the Flask test client, 300 requests each.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Integer, String  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.conftest import csrf_from, make_config  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi"]
DEM = ["Thị", "Văn", "Ngọc", "Minh", "Thanh", "Hữu"]
TEN = ["Hồng", "Nhung", "Bình", "Quý", "Thảo", "Dũng", "Hưng", "Yến"]


class Plain(DeclarativeBase):  # not db.Model: the column guard leaves it alone
    pass


class PlainAttendee(Plain):
    __tablename__ = "plain_attendees"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60))
    group_name: Mapped[str] = mapped_column(String(200))


def best(fn, runs=5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def line(label: str, measured: float, baseline: float, unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1_000_000
    print(
        f"{label:<10} {measured * scale:10.1f} {unit}   baseline {baseline * scale:10.1f} {unit}"
        f"   ratio {measured / baseline:5.2f} ×"
    )


def main() -> None:
    from app.text import normalize

    rng = random.Random(9)
    names = [f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}" for _ in range(N)]
    nfd = [unicodedata.normalize("NFD", n) for n in names[: N // 2]] + names[N // 2 :]
    print(f"hardening costs, {N} values/objects, backend {os.environ.get('DATABASE_URL', 'sqlite')[:10]}")
    line(
        "text",
        best(lambda: [normalize(n) for n in nfd]),
        best(lambda: [unicodedata.normalize("NFC", n).strip() for n in nfd]),
    )

    folder = Path(tempfile.mkdtemp())
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(make_config(url, folder, RATELIMIT_ENABLED=False))
    with app.app_context():
        db.drop_all()
        db.create_all()

        from app.events.models import Attendee

        def build(model):
            for i, name in enumerate(nfd):
                model(
                    event_id=1,
                    full_name=name,
                    phone=f"+8490{i:07d}",
                    email=f"k{i}@example.vn",
                    organisation="Trường ĐH Phạm Văn Đồng",
                    category="Khách tham quan",
                    group_name="",
                )

        line("objects", best(lambda: build(Attendee)), best(lambda: build(PlainAttendee)))

        from app.accounts import services

        services.create_user("bench@example.vn", "applicant", password="GaoLua2024x", full_name="Lê Bench")
        client = app.test_client()
        token = csrf_from(client.get("/tai-khoan/dang-nhap").get_data(as_text=True))
        client.post(
            "/tai-khoan/dang-nhap",
            data={"email": "bench@example.vn", "password": "GaoLua2024x", "csrf_token": token},
        )
        anonymous = app.test_client()
        signed_in = best(lambda: [client.get("/tai-khoan/ho-so") for _ in range(300)], runs=3) / 300
        home = best(lambda: [anonymous.get("/") for _ in range(300)], runs=3) / 300
        line("requests", signed_in, home)
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
