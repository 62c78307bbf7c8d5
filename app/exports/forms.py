"""Forms of the reports pages: shape only (numbers, file present); services check meaning."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.exports.annual_report import TARGET_MAX
from app.exports.models import TARGET_KINDS
from app.forms import Form

_NUMBER = [Optional(), NumberRange(0, TARGET_MAX, _l("Nhập một số nguyên từ 0 đến 1.000.000."))]


class TargetsForm(Form):
    """One target, one organisers' figure and one note per plan indicator (fields built below)."""


for _kind in TARGET_KINDS:
    setattr(TargetsForm, f"{_kind}_target", IntegerField(_l("Chỉ tiêu kế hoạch"), validators=_NUMBER))
    setattr(
        TargetsForm,
        f"{_kind}_override",
        IntegerField(_l("Số thực hiện nhập tay (nếu có)"), validators=_NUMBER),
    )
    setattr(
        TargetsForm, f"{_kind}_note", StringField(_l("Ghi chú nguồn số liệu"), validators=[Length(max=500)])
    )


class GuestUploadForm(Form):
    file = FileField(
        _l("Tệp danh sách (.xlsx)"), validators=[FileRequired(_l("Vui lòng chọn tệp Excel (.xlsx)."))]
    )
    all_or_nothing = BooleanField(
        _l("Chỉ nhập khi mọi dòng đều hợp lệ (có một dòng lỗi thì không nhập dòng nào)")
    )
    consent = BooleanField(
        _l(
            "Tôi xác nhận các khách trong danh sách đã đồng ý cho Ban tổ chức xử lý thông tin đăng ký (bắt buộc)"
        ),
        validators=[DataRequired(_l("Vui lòng xác nhận sự đồng ý của khách mời."))],
    )
    send_tickets = BooleanField(_l("Gửi vé qua email cho khách có email"))


class GuestConfirmForm(Form):
    token = HiddenField(validators=[DataRequired()])
    all_or_nothing = HiddenField()
    send_tickets = HiddenField()
