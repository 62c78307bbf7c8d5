"""Demo accounts, one per role, with known passwords (printed by seed-demo)."""

from app.accounts import services
from app.accounts.models import Role

DEMO_ACCOUNTS = [
    # email, role, name, password
    ("admin@demo.kndmst.vn", Role.ADMIN, "Phạm Quốc Huy", "QuanTri@2024"),
    ("bantochuc@demo.kndmst.vn", Role.ORGANISER, "Trần Thị Thu Hà", "ToChuc@2024"),
    ("tinhdoan@demo.kndmst.vn", Role.ORGANISER, "Lê Văn Thành", "DoanTN@2024"),
    ("hoiphunu@demo.kndmst.vn", Role.ORGANISER, "Đỗ Thị Mai", "PhuNu@2024"),
    ("giamkhao@demo.kndmst.vn", Role.JUDGE, "Nguyễn Minh Tuấn", "ChamDiem@2024"),
    ("checkin@demo.kndmst.vn", Role.CHECKIN, "Võ Thị Lan", "QuetVe@2024"),
    ("thisinh@demo.kndmst.vn", Role.APPLICANT, "Huỳnh Văn Nam", "DuThi@2024"),
]


def seed() -> list[tuple[str, str, str]]:
    """Create or refresh the demo accounts; returns (email, role, password) rows to print."""
    rows = []
    for email, role, name, password in DEMO_ACCOUNTS:
        services.create_user(email, role.value, password=password, full_name=name)
        rows.append((email, role.value, password))
    return rows
