"""Contest and entry forms: shape only (required, lengths, formats); services check meaning."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.accounts.validation import format_phone
from app.contests import units
from app.contests.entries import EntryData, MemberData
from app.contests.files import KIND_LABELS
from app.contests.models import (
    DEFAULT_PUBLIC_RESULT_FIELDS,
    ETHNICITY_NOT_GIVEN,
    FORM_FIELDS,
    PUBLIC_RESULT_FIELDS,
    SEX_LABELS,
    STAFF_ROLE_LABELS,
    Contest,
)
from app.contests.services import NUMBER_BOUNDS, NUMBER_MESSAGES, ContestData, SlotSpec
from app.forms import Form
from app.localtime import to_local
from app.privacy.forms import with_consents
from app.text import whole_number

BAD_NUMBER = "Vui lòng nhập một số nguyên."
BAD_DATE = "Ngày không hợp lệ (nhập theo dạng ngày/tháng/năm)."
ETHNICITIES = [
    "Kinh",
    "Hrê",
    "Co",
    "Xơ Đăng",
    "Ba Na",
    "Giẻ Triêng",
    "Brâu",
    "Rơ Măm",
    "Khác",
]


class VNDateField(DateField):
    """A date input (type=date on phones) that also accepts dd/mm/yyyy, with a Vietnamese error."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d/%m/%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(BAD_DATE) from exc


def _whole(text: str | None) -> int | None:
    return whole_number(text)


def _commune_choices():
    return [("", "— Chọn xã/phường —")] + [(u.code, u.name) for u in units.communes()]


def _district_choices():
    return [("", "— Không chọn —")] + [(u.code, u.name) for u in units.districts_2024()]


def _ethnicity_choices():
    return [("", "— Không bắt buộc —"), (ETHNICITY_NOT_GIVEN, "Không cung cấp")] + [
        (e, e) for e in ETHNICITIES
    ]


SEX_CHOICES = [("", "— Chọn —")] + list(SEX_LABELS.items())


class PersonFields:
    """Fields describing a person (SPEC §8), shared by the member, start and paper-entry forms."""

    birth_date = VNDateField("Ngày sinh", validators=[Optional()])
    sex = SelectField("Giới tính", choices=SEX_CHOICES, validate_choice=False)
    organisation = StringField("Đơn vị/trường/tổ chức", validators=[Length(max=160)])
    commune_code = SelectField("Xã/phường (từ 01/7/2025)", validate_choice=False)
    district_code = SelectField("Huyện cũ (trước 01/7/2025, với hồ sơ năm 2024)", validate_choice=False)
    ethnicity = SelectField("Dân tộc", validate_choice=False)

    def fill_choices(self):
        self.commune_code.choices = _commune_choices()
        self.district_code.choices = _district_choices()
        self.ethnicity.choices = _ethnicity_choices()

    def person_data(self, **extra) -> MemberData:
        return MemberData(
            birth_date=self.birth_date.data,
            sex=self.sex.data or "",
            organisation=self.organisation.data or "",
            commune_code=self.commune_code.data or "",
            district_code=self.district_code.data or "",
            ethnicity=self.ethnicity.data or "",
            **extra,
        )


class MemberForm(PersonFields, Form):
    full_name = StringField(
        "Họ và tên", validators=[DataRequired("Vui lòng nhập họ và tên."), Length(max=120)]
    )
    phone = TelField("Số điện thoại di động", validators=[Length(max=20)])
    email = EmailField("Email", validators=[Length(max=254)])
    guardian_name = StringField(
        "Họ tên cha mẹ/người giám hộ (nếu dưới 18 tuổi)", validators=[Length(max=120)]
    )
    guardian_contact = StringField("Điện thoại hoặc email người giám hộ", validators=[Length(max=254)])
    guardian_consent = BooleanField("Cha mẹ/người giám hộ đã đồng ý cho tham gia và xử lý dữ liệu")

    def to_data(self) -> MemberData:
        return self.person_data(
            full_name=self.full_name.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            guardian_name=self.guardian_name.data or "",
            guardian_contact=self.guardian_contact.data or "",
            guardian_consent=self.guardian_consent.data,
        )

    def load(self, member) -> None:
        for name in (
            "full_name",
            "birth_date",
            "sex",
            "email",
            "organisation",
            "commune_code",
            "district_code",
            "ethnicity",
            "guardian_name",
            "guardian_contact",
            "guardian_consent",
        ):
            getattr(self, name).data = getattr(member, name)
        self.phone.data = format_phone(member.phone)


class _StartEntryBase(PersonFields, Form):
    title = StringField(
        "Tên ý tưởng/dự án", validators=[DataRequired("Vui lòng nhập tên ý tưởng/dự án."), Length(max=200)]
    )
    track_id = SelectField("Bảng thi", validate_choice=False)


StartEntryForm = with_consents(_StartEntryBase, "entry")


class _PaperEntryBase(PersonFields, Form):
    title = StringField(
        "Tên ý tưởng/dự án", validators=[DataRequired("Vui lòng nhập tên ý tưởng/dự án."), Length(max=200)]
    )
    track_id = SelectField("Bảng thi", validate_choice=False)
    full_name = StringField(
        "Họ và tên trưởng nhóm", validators=[DataRequired("Vui lòng nhập họ và tên."), Length(max=120)]
    )
    phone = TelField("Số điện thoại di động", validators=[Length(max=20)])
    email = EmailField("Email", validators=[Length(max=254)])
    note = StringField("Ghi chú (ngày nhận hồ sơ, người nhận…)", validators=[Length(max=300)])


PaperEntryForm = with_consents(_PaperEntryBase, "entry")


def track_choices(contest: Contest) -> list[tuple[str, str]]:
    return [("", "— Chọn bảng —")] + [(str(t.id), t.name) for t in contest.tracks]


def entry_form_class(contest: Contest) -> type[Form]:
    """The dossier form of one contest: the structured fields it asks for and its upload slots."""
    attrs = {
        # No DataRequired here: the service reports a missing title and still saves the rest.
        "title": StringField("Tên ý tưởng/dự án", validators=[Length(max=200)]),
        "track_id": SelectField("Bảng thi", choices=track_choices(contest), validate_choice=False),
        "field": SelectField(
            "Lĩnh vực",
            choices=[("", "— Chọn lĩnh vực —")] + [(f, f) for f in contest.fields],
            validate_choice=False,
        ),
        "organisation": StringField("Đơn vị/tổ chức của nhóm", validators=[Length(max=160)]),
        "summary": TextAreaField("Tóm tắt ý tưởng", validators=[Length(max=5000)]),
    }
    for key, mode in (contest.form_fields or {}).items():
        if key in FORM_FIELDS:
            label = FORM_FIELDS[key] + (" (không bắt buộc)" if mode == "optional" else "")
            attrs[f"answer_{key}"] = TextAreaField(label, validators=[Length(max=5000)])
    if contest.video_link != "off":
        attrs["video_url"] = StringField(
            "Đường dẫn video giới thiệu" + (" (không bắt buộc)" if contest.video_link == "optional" else ""),
            validators=[Length(max=300)],
        )
    if any(t.max_startup_years for t in contest.tracks):
        attrs["startup_registered_on"] = VNDateField(
            "Ngày đăng ký kinh doanh (chỉ với bảng dự án/doanh nghiệp)", validators=[Optional()]
        )
    for slot in contest.slots:
        attrs[f"file_{slot.key}"] = FileField(slot.label + ("" if slot.required else " (không bắt buộc)"))
    attrs["declared_original"] = BooleanField(
        "Tôi cam đoan ý tưởng/dự án là của nhóm và chưa đạt giải tại cuộc thi khác."
    )
    return type(f"EntryForm_{contest.id}", (EntryFormBase,), attrs)


class EntryFormBase(Form):
    def to_data(self) -> EntryData:
        answers = {
            name.removeprefix("answer_"): (field.data or "")
            for name, field in self._fields.items()
            if name.startswith("answer_")
        }
        return EntryData(
            title=self.title.data or "",
            track_id=_whole(self.track_id.data),
            field=self.field.data or "",
            summary=self.summary.data or "",
            answers=answers,
            video_url=(self.video_url.data or "") if "video_url" in self._fields else "",
            declared_original=self.declared_original.data,
            startup_registered_on=self.startup_registered_on.data
            if "startup_registered_on" in self._fields
            else None,
            organisation=self.organisation.data or "",
        )

    def load(self, entry) -> None:
        self.title.data = entry.title
        self.track_id.data = str(entry.track_id or "")
        self.field.data = entry.field
        self.summary.data = entry.summary
        self.organisation.data = entry.organisation
        for key, value in (entry.answers or {}).items():
            if f"answer_{key}" in self._fields:
                self[f"answer_{key}"].data = value
        if "video_url" in self._fields:
            self.video_url.data = entry.video_url
        if "startup_registered_on" in self._fields:
            self.startup_registered_on.data = entry.startup_registered_on
        self.declared_original.data = entry.declared_original

    def upload_fields(self):
        return [f for name, f in self._fields.items() if name.startswith("file_")]


def templates_form_class(contest: Contest) -> type[Form]:
    """The organisers' templates of a contest's slots: a file to upload (new or replacing) and, where
    one is stored, a box to remove it."""
    attrs: dict[str, object] = {}
    for slot in contest.slots:
        attrs[f"template_{slot.key}"] = FileField(f"Tệp mẫu cho mục “{slot.label}” (Word .docx hoặc PDF)")
        if slot.template_stored_name:
            attrs[f"remove_template_{slot.key}"] = BooleanField(f"Gỡ tệp mẫu hiện tại của mục “{slot.label}”")
    return type(f"TemplatesForm_{contest.id}", (TemplatesFormBase,), attrs)


class TemplatesFormBase(Form):
    def removed(self) -> set[str]:
        return {
            name.removeprefix("remove_template_")
            for name, field in self._fields.items()
            if name.startswith("remove_template_") and field.data
        }


class WithdrawForm(Form):
    reason = StringField("Lý do rút bài (không bắt buộc)", validators=[Length(max=500)])


class ScreenForm(Form):
    decision = RadioField(
        "Kết quả thẩm định",
        choices=[("eligible", "Hợp lệ"), ("ineligible", "Không hợp lệ")],
        validators=[DataRequired("Vui lòng chọn kết quả thẩm định.")],
    )
    reason = TextAreaField(
        "Lý do / ghi chú (bắt buộc khi không hợp lệ; thí sinh nhận được nội dung này)",
        validators=[Length(max=2000)],
    )


class StaffForm(Form):
    email = EmailField("Email tài khoản", validators=[DataRequired("Vui lòng nhập email."), Length(max=254)])
    role = SelectField(
        "Vai trò trong cuộc thi", choices=[(r.value, label) for r, label in STAFF_ROLE_LABELS.items()]
    )
    organisation = StringField("Đơn vị (ví dụ: Tỉnh đoàn, Hội LHPN tỉnh)", validators=[Length(max=120)])


class ConfirmForm(Form):
    """A POST button with nothing but its CSRF token."""


# --- contest configuration ----------------------------------------------------------------------

FIELD_MODE_CHOICES = [("required", "Bắt buộc"), ("optional", "Không bắt buộc"), ("off", "Không hỏi")]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _within(value: float, name: str) -> bool:
    low, high = NUMBER_BOUNDS[name]
    return low <= value <= high


def _local_datetime(day: date | None, at: time) -> datetime:
    """A validated form's date and time as one naive wall-clock datetime (both fields are required)."""
    if day is None:
        raise ValueError("to_data() called on a contest form that did not validate")
    return datetime.combine(day, at)


def parse_tracks(text: str) -> list[tuple[str, int | None]]:
    """'Bảng Dự án | 5' → ("Bảng Dự án", 5): name, then the startup age limit in years if any."""
    tracks: list[tuple[str, int | None]] = []
    for line in _lines(text):
        name, _, years = (part.strip() for part in line.partition("|"))
        if not years:
            tracks.append((name, None))
        elif whole_number(years) is not None and _within(int(years), "startup_years"):
            tracks.append((name, int(years)))
        else:
            raise ValidationError(f"Dòng “{line}”: sau dấu | là số năm tối đa kể từ khi đăng ký kinh doanh.")
    return tracks


def parse_slots(text: str) -> list[SlotSpec]:
    """'thuyet-minh | Bản thuyết minh | pdf,docx | 10 | bắt buộc' (key | label | kinds | MB | required)."""
    slots = []
    for line in _lines(text):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) not in (4, 5):
            raise ValidationError(
                f"Dòng “{line}”: cần dạng mã | tên mục | loại tệp | số MB tối đa | bắt buộc (tuỳ chọn)."
            )
        kinds = [k.strip().lower().lstrip(".") for k in parts[2].split(",") if k.strip()]
        unknown = [k for k in kinds if k not in KIND_LABELS]
        if unknown:
            raise ValidationError(f"Dòng “{line}”: loại tệp chỉ gồm {', '.join(KIND_LABELS)}.")
        try:
            max_mb = float(parts[3].replace(",", "."))
        except ValueError as exc:
            raise ValidationError(f"Dòng “{line}”: số MB tối đa phải là một số.") from exc
        if not _within(max_mb, "slot_mb"):  # also refuses nan, inf and 1e61
            raise ValidationError(f"Dòng “{line}”: số MB tối đa phải từ 0,1 đến 20.")
        required = len(parts) == 5 and parts[4].lower() in {"bắt buộc", "bat buoc", "x", "có", "co"}
        slots.append(SlotSpec(parts[0].lower(), parts[1], kinds, max_mb, required))
    return slots


def slots_text(contest: Contest) -> str:
    lines = []
    for s in contest.slots:
        mb = f"{s.max_bytes / 1024 / 1024:g}"
        lines.append(
            f"{s.key} | {s.label} | {','.join(s.kinds)} | {mb}" + (" | bắt buộc" if s.required else "")
        )
    return "\n".join(lines)


def _bounded(name: str) -> NumberRange:
    """The service's range for this number (contests.services.NUMBER_BOUNDS), as a field error."""
    low, high = NUMBER_BOUNDS[name]
    return NumberRange(low, high, NUMBER_MESSAGES[name])


class PublicFieldsField(SelectMultipleField):
    """Checkboxes over PUBLIC_RESULT_FIELDS; an unknown posted key (say "phone") is dropped, never kept."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        self.data = [key for key in PUBLIC_RESULT_FIELDS if key in set(valuelist)]

    def pre_validate(self, form):
        pass  # process_formdata already kept only known keys


class ContestForm(Form):
    name = StringField(
        "Tên cuộc thi", validators=[DataRequired("Vui lòng nhập tên cuộc thi."), Length(max=200)]
    )
    slug = StringField(
        "Đường dẫn (chữ thường không dấu, gạch ngang)",
        validators=[DataRequired("Vui lòng nhập đường dẫn."), Length(max=80)],
    )
    year = IntegerField("Năm", validators=[InputRequired("Vui lòng nhập năm."), _bounded("year")])
    edition = IntegerField("Lần thứ (nếu có)", validators=[Optional(), _bounded("edition")])
    code_prefix = StringField(
        "Tiền tố mã hồ sơ (ví dụ KN24)",
        validators=[DataRequired("Vui lòng nhập tiền tố mã."), Length(max=10)],
    )
    description = TextAreaField("Giới thiệu", validators=[Length(max=5000)])
    rules_text = TextAreaField("Thể lệ", validators=[Length(max=20000)])
    opens_date = VNDateField("Ngày mở nhận hồ sơ", validators=[DataRequired(BAD_DATE)])
    opens_time = TimeField("Giờ mở", default=time(0, 0), validators=[DataRequired("Vui lòng nhập giờ.")])
    closes_date = VNDateField("Ngày hết hạn nộp", validators=[DataRequired(BAD_DATE)])
    closes_time = TimeField(
        "Giờ hết hạn", default=time(23, 59), validators=[DataRequired("Vui lòng nhập giờ.")]
    )
    is_published = BooleanField("Công khai trên trang chủ", default=True)
    min_age = IntegerField(
        "Tuổi tối thiểu (tính đến ngày hết hạn)", validators=[Optional(), _bounded("min_age")]
    )
    max_age = IntegerField(
        "Tuổi tối đa (tính đến ngày hết hạn)", validators=[Optional(), _bounded("max_age")]
    )
    team_min = IntegerField(
        "Số thành viên tối thiểu (kể cả trưởng nhóm)",
        default=1,
        validators=[InputRequired(BAD_NUMBER), _bounded("team_min")],
    )
    team_max = IntegerField(
        "Số thành viên tối đa", default=5, validators=[InputRequired(BAD_NUMBER), _bounded("team_max")]
    )
    max_entries_per_person = IntegerField(
        "Số bài tối đa mỗi người tham gia", validators=[Optional(), _bounded("max_entries_per_person")]
    )
    one_team_per_leader = BooleanField("Mỗi người chỉ làm trưởng nhóm một bài", default=True)
    staff_may_not_enter = BooleanField("Ban tổ chức và giám khảo không được dự thi", default=True)
    fields = TextAreaField("Lĩnh vực (mỗi dòng một lĩnh vực)")
    tracks = TextAreaField("Bảng thi (mỗi dòng một bảng; thêm “| 5” nếu chỉ nhận doanh nghiệp ≤ 5 năm)")
    slots = TextAreaField("Tài liệu tải lên (mỗi dòng: mã | tên mục | loại tệp | MB tối đa | bắt buộc)")
    video_link = SelectField(
        "Đường dẫn video",
        choices=[("optional", "Không bắt buộc"), ("required", "Bắt buộc"), ("off", "Không hỏi")],
    )
    public_result_fields = PublicFieldsField(
        "Thông tin công bố trong kết quả",
        choices=list(PUBLIC_RESULT_FIELDS.items()),
        default=list(DEFAULT_PUBLIC_RESULT_FIELDS),
    )

    def validate_tracks(self, field):
        self._tracks = parse_tracks(field.data)

    def validate_slots(self, field):
        self._slots = parse_slots(field.data)

    def to_data(self) -> ContestData:
        return ContestData(
            name=self.name.data,
            slug=(self.slug.data or "").strip().lower(),
            year=self.year.data,
            edition=self.edition.data,
            code_prefix=(self.code_prefix.data or "").strip().upper(),
            description=self.description.data or "",
            rules_text=self.rules_text.data or "",
            opens_local=_local_datetime(self.opens_date.data, self.opens_time.data),
            closes_local=_local_datetime(self.closes_date.data, self.closes_time.data),
            is_published=self.is_published.data,
            min_age=self.min_age.data,
            max_age=self.max_age.data,
            team_min=self.team_min.data,
            team_max=self.team_max.data,
            max_entries_per_person=self.max_entries_per_person.data,
            one_team_per_leader=self.one_team_per_leader.data,
            staff_may_not_enter=self.staff_may_not_enter.data,
            fields=_lines(self.fields.data),
            tracks=self._tracks,
            slots=self._slots,
            form_fields={key: self[f"mode_{key}"].data for key in FORM_FIELDS},
            video_link=self.video_link.data,
            public_result_fields=list(self.public_result_fields.data or []),
        )

    def load(self, contest: Contest) -> None:
        for name in (
            "name", "slug", "year", "edition", "code_prefix", "description", "rules_text", "is_published",
            "min_age", "max_age", "team_min", "team_max", "max_entries_per_person", "one_team_per_leader",
            "staff_may_not_enter", "video_link",
        ):  # fmt: skip
            getattr(self, name).data = getattr(contest, name)
        opens, closes = to_local(contest.opens_at), to_local(contest.closes_at)
        self.opens_date.data, self.opens_time.data = opens.date(), opens.time().replace(second=0)
        self.closes_date.data, self.closes_time.data = closes.date(), closes.time().replace(second=0)
        self.fields.data = "\n".join(contest.fields or [])
        self.tracks.data = "\n".join(
            t.name + (f" | {t.max_startup_years}" if t.max_startup_years else "") for t in contest.tracks
        )
        self.slots.data = slots_text(contest)
        self.public_result_fields.data = [
            key for key in PUBLIC_RESULT_FIELDS if key in set(contest.public_result_fields or [])
        ]
        for key in FORM_FIELDS:
            self[f"mode_{key}"].data = (contest.form_fields or {}).get(key, "off")


for _key, _label in FORM_FIELDS.items():
    setattr(ContestForm, f"mode_{_key}", SelectField(_label, choices=FIELD_MODE_CHOICES, default="optional"))


def default_contest_form_values(form: ContestForm) -> None:
    """Sensible defaults for a new contest (the 2024 Quảng Ngãi rules)."""
    today = date.today()
    form.year.data = today.year
    form.min_age.data, form.max_age.data = 18, 35
    form.max_entries_per_person.data = 3
    form.fields.data = "\n".join(
        [
            "Nông nghiệp công nghệ cao",
            "Du lịch, dịch vụ",
            "Công nghệ thông tin, chuyển đổi số",
            "Giáo dục, y tế",
            "Môi trường, năng lượng",
            "Chế biến thực phẩm, OCOP",
            "Khác",
        ]
    )
    form.tracks.data = "Bảng Ý tưởng\nBảng Dự án | 5"
    form.slots.data = (
        "thuyet-minh | Bản thuyết minh ý tưởng | pdf,docx | 10 | bắt buộc\n"
        "ke-hoach | Kế hoạch kinh doanh | pdf,docx,pptx | 15"
    )
