"""Demo contests (SPEC §9 fixed slugs) with realistic Vietnamese entries in varied states.

Idempotent: a contest whose slug exists is left as it is. Runs after the accounts seed, so the demo
staff accounts exist. Generated applicants share one password hash (computed once) to keep seeding fast.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date, datetime, time, timedelta

from fpdf import FPDF
from sqlalchemy import select

from app.accounts.models import Role, User, UserRole
from app.accounts.services import find_user_by_email, hash_password
from app.contests import eligibility, entries, files, services, units
from app.contests.models import (
    Contest,
    ContestStaff,
    Entry,
    EntryEvent,
    EntryFile,
    EntryStatus,
    TeamMember,
)
from app.contests.services import ContestData, SlotSpec
from app.extensions import db
from app.fonts import FONT, FONT_FILES, font_dir
from app.localtime import local_to_utc, to_local, utcnow
from app.privacy import services as privacy
from app.text import fold

DEMO_PASSWORD = "DuThi@2024"  # the generated applicants' password (printed nowhere else)
FIELDS = [
    "Nông nghiệp công nghệ cao",
    "Chế biến nông sản, sản phẩm OCOP",
    "Du lịch, dịch vụ",
    "Công nghệ thông tin, chuyển đổi số",
    "Giáo dục",
    "Y tế, chăm sóc sức khoẻ",
    "Môi trường, năng lượng",
    "Khác",
]
IDEAS = [
    ("Tỏi đen Lý Sơn lên men tự nhiên", FIELDS[1]),
    ("Du lịch cộng đồng làng Hrê ở Ba Tơ", FIELDS[2]),
    ("Tinh dầu quế Trà Bồng đạt chuẩn xuất khẩu", FIELDS[1]),
    ("Truy xuất nguồn gốc nước mắm Sa Huỳnh bằng mã QR", FIELDS[3]),
    ("Cá bống sông Trà kho tộ đóng hộp", FIELDS[1]),
    ("Mạch nha Thi Phổ đóng gói hiện đại", FIELDS[1]),
    ("Tưới nhỏ giọt IoT cho vườn rau Mộ Đức", FIELDS[0]),
    ("Gốm Mỹ Thiện cho du lịch trải nghiệm", FIELDS[2]),
    ("Chổi đót Sơn Hà xuất khẩu", FIELDS[7]),
    ("Tinh bột nghệ Nghĩa Hành hữu cơ", FIELDS[1]),
    ("Homestay xanh trên đảo Lý Sơn", FIELDS[2]),
    ("Phân hữu cơ vi sinh từ bã mía", FIELDS[6]),
    ("Nền tảng gia sư trực tuyến cho học sinh miền núi", FIELDS[4]),
    ("Đồ chơi gỗ an toàn cho trẻ mầm non", FIELDS[7]),
    ("Ống hút cỏ bàng thay nhựa", FIELDS[6]),
    ("Rong biển Lý Sơn sấy lạnh", FIELDS[1]),
    ("Mật ong rừng Minh Long", FIELDS[1]),
    ("Ứng dụng quản lý ao nuôi tôm Đức Phổ", FIELDS[3]),
    ("Thổ cẩm Xơ Đăng trong thời trang hiện đại", FIELDS[7]),
    ("Nhà màng trồng dưa lưới công nghệ cao", FIELDS[0]),
    ("Drone phun thuốc bảo vệ thực vật theo giờ", FIELDS[0]),
    ("Xưởng in 3D phục vụ giờ học STEM", FIELDS[4]),
    ("Trà mãng cầu Tư Nghĩa", FIELDS[1]),
    ("Sổ khám bệnh điện tử cho trạm y tế xã", FIELDS[5]),
    ("Bánh tráng nước dừa Tam Quan chuẩn OCOP", FIELDS[1]),
    ("Ứng dụng đặt xe liên huyện cho vùng núi", FIELDS[3]),
    ("Nước uống thảo dược cho người cao tuổi", FIELDS[5]),
    ("Điện mặt trời áp mái cho hộ nuôi yến", FIELDS[6]),
    ("Sâm Ngọc Linh nuôi cấy mô", FIELDS[0]),
    ("Cà phê Măng Đen rang mộc", FIELDS[1]),
    ("Tour chèo SUP sông Trà Khúc", FIELDS[2]),
    ("Thu gom rác thải nhựa đổi quà tại chợ", FIELDS[6]),
    ("Lớp kỹ năng số cho phụ nữ nông thôn", FIELDS[4]),
    ("Hành tím Lý Sơn muối chua đóng lọ", FIELDS[1]),
    ("Vườn ươm giống keo lai mô", FIELDS[0]),
    ("Nền tảng bán hàng OCOP qua livestream", FIELDS[3]),
]
HO = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Đinh",
    "Phan",
]
DEM_NAM = ["Văn", "Minh", "Quốc", "Hữu", "Thanh", "Hoàng", "Đức", "Công"]
DEM_NU = ["Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Hồng", "Bảo"]
TEN_NAM = ["An", "Bình", "Cường", "Dũng", "Hải", "Hiếu", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quân", "Sơn",
           "Trung", "Tuấn", "Vinh", "Thành", "Đạt"]  # fmt: skip
TEN_NU = ["Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung", "Quỳnh", "Tâm", "Thảo",
          "Trang", "Vy", "Yến", "Đào", "Hiền"]  # fmt: skip
ORGS = [
    "Trường Đại học Phạm Văn Đồng",
    "Trường Cao đẳng Việt Nam – Hàn Quốc Quảng Ngãi",
    "Đoàn Thanh niên xã {c}",
    "Hội LHPN xã {c}",
    "HTX nông nghiệp {c}",
    "Công ty TNHH Nông sản sạch Quảng Ngãi",
    "Trường THPT Lê Khiết",
    "Hộ kinh doanh cá thể",
]
INELIGIBLE_REASONS = [
    "Trưởng nhóm đã quá 35 tuổi tính đến ngày hết hạn nộp hồ sơ.",
    "Thiếu bản thuyết minh ý tưởng theo mẫu.",
    "Ý tưởng đã đạt giải Nhì cuộc thi khởi nghiệp cấp tỉnh năm 2022.",
    "Hồ sơ không thuộc lĩnh vực của cuộc thi (kinh doanh thương mại thuần tuý).",
    "Doanh nghiệp đã thành lập hơn 5 năm, không thuộc Bảng Dự án.",
]


def _contest(slug: str, data: ContestData, actor: User) -> Contest | None:
    """Create the contest unless it exists (None = already seeded)."""
    if db.session.scalar(select(Contest.id).where(Contest.slug == slug)) is not None:
        return None
    return services.create_contest(actor, data)


def _staff(contest: Contest, user: User | None, role: str, organisation: str) -> None:
    if user is not None:
        db.session.add(
            ContestStaff(contest_id=contest.id, user_id=user.id, role=role, organisation=organisation)
        )
        if Role(role) not in user.roles:  # contest roles share their values with the global roles
            user.role_rows.append(UserRole(role=role))


class _People:
    """Generated applicants with unique emails and phones, one shared password hash."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.n: int = db.session.execute(
            select(db.func.count(User.id)).where(User.email.like("ts%@demo.kndmst.vn"))
        ).scalar_one()

    def name(self) -> tuple[str, str]:
        female = self.rng.random() < 0.45
        dem = self.rng.choice(DEM_NU if female else DEM_NAM)
        ten = self.rng.choice(TEN_NU if female else TEN_NAM)
        return f"{self.rng.choice(HO)} {dem} {ten}", "nu" if female else "nam"

    def phone(self) -> str:
        return f"+849{self.rng.choice('0134')}{self.rng.randrange(10**7):07d}"

    def account(self, full_name: str) -> User:
        self.n += 1
        user = User(
            full_name=full_name,
            email=f"ts{self.n:03d}@demo.kndmst.vn",
            phone=self.phone(),
            password_hash=self.password_hash,
            email_verified_at=local_to_utc(datetime(2024, 3, 1, 8, 0)),
        )
        user.role_rows.append(UserRole(role=Role.APPLICANT.value))
        db.session.add(user)
        db.session.flush()
        return user


def _member(
    rng, people: _People, closing: date, *, leader: User | None = None, old_district: bool
) -> TeamMember:
    name, sex = (leader.full_name, rng.choice(["nam", "nu"])) if leader else people.name()
    commune = rng.choice(units.communes())
    org = rng.choice(ORGS).format(c=commune.name.split(" ", 1)[-1])
    born = closing - timedelta(days=rng.randrange(19 * 365, 34 * 365))
    member = TeamMember(
        full_name=name,
        birth_date=born,
        sex=sex,
        phone=leader.phone if leader else people.phone(),
        email=leader.email if leader else "",
        organisation=org,
        commune_code=commune.code,
        commune_name=commune.name,
        is_leader=leader is not None,
        user_id=leader.id if leader else None,
    )
    if old_district:
        district = rng.choice(units.districts_2024())
        member.district_code, member.district_name = district.code, district.name
    return member


def _entries(contest: Contest, plan: list[str], rng: random.Random, people: _People, *, leaders=()) -> None:
    organiser = find_user_by_email("bantochuc@demo.kndmst.vn")
    closing = eligibility.closing_date(contest)
    span = (contest.closes_at - contest.opens_at).total_seconds()
    ideas = rng.sample(IDEAS, len(plan)) if len(plan) <= len(IDEAS) else [rng.choice(IDEAS) for _ in plan]
    number = contest.last_code_number
    for i, status in enumerate(plan):
        title, field = ideas[i]
        leader_user = leaders[i] if i < len(leaders) else people.account(people.name()[0])
        track = contest.tracks[i % len(contest.tracks)]
        is_paper = status != "draft" and i % 11 == 5
        entry = Entry(
            contest=contest,
            track=track,
            leader_id=None if is_paper else leader_user.id,
            status=EntryStatus.DRAFT.value,
            title=title,
            field=field,
            summary=f"{title}: giải pháp khởi nghiệp gắn với thế mạnh địa phương, hướng tới thị trường trong "
            "và ngoài tỉnh, tạo việc làm cho lao động nông thôn.",
            answers={
                "problem": "Sản phẩm địa phương chưa có thương hiệu, giá bán thấp, phụ thuộc thương lái.",
                "solution": "Chuẩn hoá quy trình, xây dựng thương hiệu và kênh bán hàng trực tuyến.",
                "customers": "Khách du lịch, siêu thị, cửa hàng đặc sản trong và ngoài tỉnh.",
                "business_model": "Bán lẻ trực tuyến và đại lý; liên kết hợp tác xã cung ứng nguyên liệu.",
            },
            declared_original=True,
            is_paper=is_paper,
            keyed_by_id=organiser.id if (is_paper and organiser) else None,
            startup_registered_on=(closing - timedelta(days=rng.randrange(200, 1700)))
            if track.max_startup_years
            else None,
        )
        created = contest.opens_at + timedelta(seconds=span * rng.uniform(0.05, 0.9))
        entry.created_at = entry.updated_at = created
        leader = _member(rng, people, closing, leader=leader_user, old_district=contest.year < 2025)
        if is_paper:
            leader.user_id, leader.email = None, ""
        members = [leader] + [
            _member(rng, people, closing, old_district=contest.year < 2025)
            for _ in range(rng.randrange(0, 4))
        ]
        for position, member in enumerate(members):
            member.position = position
            entry.members.append(member)
        entries.place_entry(entry, leader)
        db.session.add(entry)
        db.session.flush()
        if is_paper:
            consents = privacy.record_choices(
                "team_member", leader.id, "entry", {"process_entry": True}, source="paper", keyed_by=organiser
            )
        else:
            consents = privacy.record_choices(
                "user", leader_user.id, "entry", {"process_entry": True, "publish_awards": rng.random() < 0.7}
            )
        for consent in consents:
            consent.given_at = created
        events = [
            ("created", "", "draft", "Nhập hồ sơ giấy thay cho thí sinh" if is_paper else "Tạo bản nháp")
        ]
        if status != "draft":
            number += 1
            entry.code_number = number
            entry.code = f"{contest.code_prefix}-{number:04d}"
            entry.submitted_at = created + timedelta(hours=rng.randrange(1, 72))
            entry.files.append(_demo_file(contest.slots[0].key, title))
            events.append(("submitted", "draft", "submitted", "Nộp bài"))
        path = {
            "draft": [],
            "submitted": [],
            "eligible": ["eligible"],
            "ineligible": ["ineligible"],
            "withdrawn": ["withdrawn"],
            "finalist": ["eligible", "finalist"],
        }[status]
        before = events[-1][2]
        for target in path:
            note = {
                "eligible": "Hồ sơ hợp lệ",
                "ineligible": rng.choice(INELIGIBLE_REASONS),
                "withdrawn": "Trưởng nhóm rút bài vì nhóm không tiếp tục",
                "finalist": "Vào chung kết theo kết quả vòng sơ khảo",
            }[target]
            events.append(
                ("screen" if target in ("eligible", "ineligible") else target, before, target, note)
            )
            if target == "ineligible":
                entry.screening_reason = note
            before = target
        entry.status = before
        at = entry.submitted_at or created
        for action, frm, to, note in events:
            entry.history.append(
                EntryEvent(
                    action=action,
                    from_status=frm,
                    to_status=to,
                    note=note,
                    at=at,
                    actor_id=organiser.id if (organiser and action in ("screen", "finalist")) else None,
                )
            )
            at += timedelta(days=rng.randrange(1, 10))
        entries.refresh_search_text(entry)
    contest.last_code_number = number
    db.session.flush()


DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _demo_file(slot_key: str, title: str) -> EntryFile:
    """A small real PDF on disk, so downloads work in the demo."""
    row = EntryFile(
        slot_key=slot_key,
        stored_name=f"{uuid.uuid4().hex}.pdf",
        original_name="Thuyet-minh-" + "-".join(fold(title).split()[:4]) + ".pdf",
        kind="pdf",
        size=len(DEMO_PDF),
        sha256=hashlib.sha256(DEMO_PDF).hexdigest(),
    )
    path = files.file_path(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DEMO_PDF)
    return row


# The usual headings of a Vietnamese idea description (bản thuyết minh ý tưởng), each with what it asks.
TEMPLATE_SECTIONS = [
    ("Tên ý tưởng", "Tên ngắn gọn, nói rõ sản phẩm hoặc dịch vụ."),
    ("Thông tin nhóm", "Trưởng nhóm, các thành viên (họ tên, năm sinh, đơn vị), địa chỉ liên hệ."),
    ("Vấn đề cần giải quyết", "Ai đang gặp vấn đề gì, ở đâu, quy mô và mức độ nghiêm trọng."),
    ("Giải pháp, sản phẩm", "Sản phẩm/dịch vụ giải quyết vấn đề thế nào; điểm đổi mới sáng tạo."),
    ("Thị trường, khách hàng", "Khách hàng mục tiêu, quy mô thị trường, đối thủ cạnh tranh."),
    ("Mô hình kinh doanh", "Bán gì, cho ai, qua kênh nào, thu tiền thế nào."),
    ("Đội ngũ", "Vai trò, kinh nghiệm của từng thành viên; đối tác, người cố vấn."),
    ("Kế hoạch tài chính", "Nhu cầu vốn, nguồn vốn, dự kiến doanh thu và chi phí 3 năm đầu."),
    ("Kế hoạch triển khai", "Các mốc chính trong 12 tháng tới."),
    ("Tác động xã hội, môi trường", "Việc làm, thu nhập cho người dân địa phương; tác động môi trường."),
]


def idea_template_pdf() -> bytes:
    """The demo's template of the idea description: an A4 form with the usual headings and the
    vendored DejaVu font (every Vietnamese letter), made at seed time."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, 18)
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(font_dir() / name))
    pdf.set_title("Mẫu bản thuyết minh ý tưởng khởi nghiệp")
    pdf.set_creator("Sở Khoa học và Công nghệ tỉnh Quảng Ngãi")
    pdf.add_page()
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 5.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5.5, "Độc lập – Tự do – Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 7, "BẢN THUYẾT MINH Ý TƯỞNG KHỞI NGHIỆP", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "I", 10)
    pdf.multi_cell(
        0,
        5,
        "(Kèm theo hồ sơ dự thi Cuộc thi tìm kiếm ý tưởng khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi; "
        "trình bày không quá 10 trang A4, cỡ chữ 13)",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    for number, (heading, hint) in enumerate(TEMPLATE_SECTIONS, start=1):
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(0, 6.5, f"{number}. {heading}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "I", 10)
        pdf.multi_cell(0, 5, hint, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 11)
        for _ in range(3):
            pdf.multi_cell(0, 7, "." * 110, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(4)
    pdf.set_font(FONT, "I", 11)
    pdf.multi_cell(0, 6, "Quảng Ngãi, ngày …… tháng …… năm ……", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, "TRƯỞNG NHÓM", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "I", 10)
    pdf.multi_cell(0, 5, "(Ký và ghi rõ họ tên)", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _attach_template(contest: Contest, data: bytes) -> None:
    """The idea description's template on the contest's "thuyet-minh" slot, written into UPLOAD_DIR."""
    slot = next((s for s in contest.slots if s.key == "thuyet-minh"), None)
    if slot is not None and not slot.template_stored_name:
        files.save_template_bytes(slot, data, "Mau-thuyet-minh-y-tuong.pdf")


def seed() -> None:
    rng = random.Random(2024)
    organiser = find_user_by_email("bantochuc@demo.kndmst.vn")
    admin = find_user_by_email("admin@demo.kndmst.vn")
    actor = organiser or admin
    if actor is None:
        return
    judge = find_user_by_email("giamkhao@demo.kndmst.vn")
    people = _People(rng)
    template = idea_template_pdf()
    slots = [
        SlotSpec("thuyet-minh", "Bản thuyết minh ý tưởng (theo mẫu)", ["pdf", "docx"], 10, True),
        SlotSpec("ke-hoach", "Kế hoạch kinh doanh hoặc slide giới thiệu", ["pdf", "docx", "pptx"], 15),
    ]
    form_fields = {
        "problem": "required",
        "solution": "required",
        "customers": "required",
        "business_model": "required",
        "advantage": "optional",
        "stage": "optional",
        "funding": "optional",
        "impact": "optional",
    }
    idea = _contest(
        "y-tuong-kndmst-2024",
        ContestData(
            name="Cuộc thi tìm kiếm ý tưởng khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm 2024",
            slug="y-tuong-kndmst-2024",
            year=2024,
            code_prefix="KN24",
            opens_local=datetime(2024, 4, 1, 8, 0),
            closes_local=datetime(2024, 8, 31, 23, 59),
            description="Sở Khoa học và Công nghệ phối hợp với Tỉnh đoàn và Hội Liên hiệp Phụ nữ tỉnh tổ chức, "
            "nhằm tìm kiếm, hỗ trợ các ý tưởng khởi nghiệp đổi mới sáng tạo của thanh niên và phụ nữ.",
            rules_text="1. Đối tượng: công dân từ 18 đến 35 tuổi (tính đến ngày hết hạn nộp hồ sơ).\n"
            "2. Mỗi nhóm từ 1 đến 5 người; mỗi người tham gia tối đa 3 ý tưởng và chỉ làm trưởng nhóm 1 ý tưởng.\n"
            "3. Ý tưởng chưa đạt giải tại cuộc thi khác.\n"
            "4. Thành viên Ban tổ chức, Ban giám khảo không được dự thi.",
            fields=FIELDS,
            tracks=[("Bảng Ý tưởng", None)],
            slots=slots,
            form_fields=form_fields,
        ),
        actor,
    )
    if idea is not None:
        _staff(idea, find_user_by_email("tinhdoan@demo.kndmst.vn"), "organiser", "Tỉnh đoàn Quảng Ngãi")
        _staff(idea, find_user_by_email("hoiphunu@demo.kndmst.vn"), "organiser", "Hội LHPN tỉnh Quảng Ngãi")
        _staff(idea, judge, "judge", "Trường Đại học Phạm Văn Đồng")
        plan = ["draft"] * 4 + ["submitted"] * 5 + ["eligible"] * 18 + ["ineligible"] * 5 + ["withdrawn"] * 3
        applicant = find_user_by_email("thisinh@demo.kndmst.vn")
        rng.shuffle(plan)
        plan[0] = "eligible"  # the demo applicant's own entry
        _entries(idea, plan, rng, people, leaders=[applicant] if applicant else [])
        _attach_template(idea, template)
        db.session.commit()

    final = _contest(
        "kndmst-quang-ngai-lan-5",
        ContestData(
            name="Cuộc thi Khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi lần thứ 5",
            slug="kndmst-quang-ngai-lan-5",
            year=2024,
            edition=5,
            code_prefix="QN5",
            opens_local=datetime(2023, 10, 2, 8, 0),
            closes_local=datetime(2024, 1, 15, 23, 59),
            description="Cuộc thi cấp tỉnh dành cho ý tưởng và dự án khởi nghiệp; chung kết thuyết trình trực tiếp "
            "trong Quý I/2024.",
            rules_text="Bảng Ý tưởng: cá nhân, nhóm có ý tưởng khởi nghiệp.\n"
            "Bảng Dự án: doanh nghiệp, hợp tác xã thành lập không quá 5 năm tính đến ngày hết hạn.\n"
            "Độ tuổi: từ 18 đến 45 tuổi.",
            fields=FIELDS,
            tracks=[("Bảng Ý tưởng", None), ("Bảng Dự án", 5)],
            slots=slots,
            form_fields=form_fields,
            max_age=45,
        ),
        actor,
    )
    if final is not None:
        _staff(final, judge, "judge", "Trường Đại học Phạm Văn Đồng")
        plan = ["draft"] * 3 + ["eligible"] * 12 + ["ineligible"] * 3 + ["withdrawn"] * 2 + ["finalist"] * 8
        rng.shuffle(plan)
        _entries(final, plan, rng, people)
        _attach_template(final, template)
        db.session.commit()

    # An edition open around today, so the demo shows the applicant journey whatever the date.
    today = to_local(utcnow()).date()
    current = _contest(
        f"y-tuong-kndmst-{today.year}",
        ContestData(
            name=f"Cuộc thi tìm kiếm ý tưởng khởi nghiệp đổi mới sáng tạo tỉnh Quảng Ngãi năm {today.year}",
            slug=f"y-tuong-kndmst-{today.year}",
            year=today.year,
            code_prefix=f"YT{today.year % 100:02d}",
            opens_local=datetime.combine(today - timedelta(days=30), time(8, 0)),
            closes_local=datetime.combine(today + timedelta(days=90), time(23, 59)),
            description="Đang nhận hồ sơ: dành cho thanh niên, phụ nữ, học sinh, sinh viên có ý tưởng khởi nghiệp.",
            rules_text="Công dân từ 16 đến 35 tuổi; người dưới 18 tuổi cần người giám hộ đồng ý.\n"
            "Nhóm từ 1 đến 5 người.",
            fields=FIELDS,
            tracks=[("Bảng Ý tưởng", None), ("Bảng Dự án", 5)],
            slots=slots,
            form_fields=form_fields,
            min_age=16,
        ),
        actor,
    )
    if current is not None:
        _staff(current, judge, "judge", "Trường Đại học Phạm Văn Đồng")
        _entries(current, ["draft", "submitted", "submitted", "submitted"], rng, people)
        _attach_template(current, template)
        db.session.commit()
