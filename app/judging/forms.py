"""Judging forms: shape only (required, lengths, numbers); services check meaning. The score sheet
and the rubric/prize tables have a variable number of fields and are read from request.form by
the views (CSRF is still checked for every POST by CSRFProtect)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.forms import Form
from app.judging import scoring
from app.judging.models import CONFLICT_KIND_LABELS, DECLARABLE_KINDS
from app.judging.scoring import METHOD_LABELS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _min_average(form, field) -> None:
    """The same reading of '50' / '7,5' and the same bounds as the scoring rules."""
    try:
        scoring.parse_min_average(field.data)
    except scoring.ScoringError as exc:
        raise ValidationError(exc.message) from exc


class RoundForm(Form):
    name = StringField(
        _l("Tên vòng chấm"),
        validators=[DataRequired(_l("Vui lòng nhập tên vòng chấm.")), Length(max=120)],
    )
    description = TextAreaField(_l("Ghi chú cho giám khảo"), validators=[Optional(), Length(max=4000)])
    opens_at = DateTimeLocalField(_l("Bắt đầu chấm"), format=DATETIME_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Hạn nộp phiếu chấm"), format=DATETIME_FORMAT, validators=[Optional()])
    blind = BooleanField(_l("Chấm ẩn danh (giám khảo không thấy tên, đơn vị, liên hệ của đội)"))
    method = SelectField(
        _l("Cách tổng hợp điểm"), choices=[(m.value, label) for m, label in METHOD_LABELS.items()]
    )
    judges_per_entry = IntegerField(
        _l("Số giám khảo chấm mỗi hồ sơ"),
        default=3,
        validators=[
            InputRequired(_l("Vui lòng nhập số giám khảo mỗi hồ sơ.")),
            NumberRange(
                1,
                scoring.MAX_JUDGES_PER_ENTRY,
                _l("Số giám khảo mỗi hồ sơ phải từ %(min)s đến %(max)s."),
            ),
        ],
    )
    top_n = IntegerField(
        _l("Số hồ sơ đi tiếp mỗi bảng (để trống: không giới hạn)"),
        validators=[
            Optional(),
            NumberRange(
                1,
                scoring.MAX_TOP_N,
                _l("Số hồ sơ đi tiếp mỗi bảng phải từ %(min)s đến %(max)s."),
            ),
        ],
    )
    min_average = StringField(
        _l("Điểm trung bình tối thiểu để đi tiếp (để trống: không yêu cầu)"),
        validators=[Optional(), Length(max=12, message=_l("Tối đa %(max)d ký tự.")), _min_average],
    )
    no_zero_criterion = BooleanField(_l("Không đi tiếp nếu có tiêu chí bị chấm 0 điểm"), default=True)


class InviteForm(Form):
    full_name = StringField(
        _l("Họ và tên giám khảo"), validators=[DataRequired(_l("Vui lòng nhập họ và tên.")), Length(max=120)]
    )
    email = EmailField(
        "Email", validators=[DataRequired(_l("Vui lòng nhập địa chỉ email.")), Length(max=254)]
    )
    organisation = StringField(_l("Cơ quan, đơn vị công tác"), validators=[Optional(), Length(max=160)])


class AddJudgeForm(Form):
    email = EmailField(
        _l("Email tài khoản giám khảo"),
        validators=[DataRequired(_l("Vui lòng nhập địa chỉ email.")), Length(max=254)],
    )


class AcceptInvitationForm(Form):
    full_name = StringField(
        _l("Họ và tên"), validators=[DataRequired(_l("Vui lòng nhập họ và tên.")), Length(max=120)]
    )
    phone = TelField(_l("Số điện thoại di động (không bắt buộc)"), validators=[Optional(), Length(max=20)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng đặt mật khẩu."))])
    password_confirm = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[
            DataRequired(_l("Vui lòng nhập lại mật khẩu.")),
            EqualTo("password", _l("Hai mật khẩu không khớp nhau.")),
        ],
    )


class ConfirmForm(Form):
    """A POST with nothing but the CSRF token (accept as a signed-in user, reminders, publish …)."""


class JudgeProfileForm(Form):
    organisation = StringField(_l("Cơ quan, đơn vị công tác"), validators=[Optional(), Length(max=160)])
    commune_code = SelectField(_l("Xã, phường nơi ở"), choices=[], validate_choice=False)
    expertise = StringField(_l("Lĩnh vực chuyên môn"), validators=[Optional(), Length(max=200)])


class DeclareConflictForm(Form):
    kind = SelectField(
        _l("Loại xung đột lợi ích"),
        choices=[("", _l("— Chọn —"))] + [(k.value, CONFLICT_KIND_LABELS[k]) for k in DECLARABLE_KINDS],
    )
    note = TextAreaField(_l("Mô tả ngắn"), validators=[Optional(), Length(max=1000)])


class ReasonForm(Form):
    reason = TextAreaField(
        _l("Lý do"), validators=[DataRequired(_l("Vui lòng ghi rõ lý do.")), Length(max=1000)]
    )
