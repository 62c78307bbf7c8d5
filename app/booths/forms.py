"""Booth application forms: shape only (required, lengths); the services check meaning (window,
tax code, phone, booth type of this event, photos by content, decisions)."""

from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import EmailField, RadioField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.forms import MultiCheckboxField
from app.booths.models import ORG_KINDS, PROVISIONS
from app.booths.photos import MAX_PHOTOS
from app.contests import units
from app.forms import Form
from app.privacy.forms import with_consents

OCOP_CHOICES = [("", "Chưa có"), ("3", "3 sao"), ("4", "4 sao"), ("5", "5 sao")]


class ApplicationBase(Form):
    organisation = StringField(
        "Tên doanh nghiệp, hợp tác xã hoặc hộ kinh doanh",
        validators=[DataRequired("Vui lòng nhập tên đơn vị."), Length(max=200)],
    )
    org_kind = SelectField(
        "Loại hình",
        choices=[("", "— Chọn —"), *ORG_KINDS.items()],
        validators=[DataRequired("Vui lòng chọn loại hình đơn vị.")],
        validate_choice=False,
    )
    tax_code = StringField("Mã số thuế (nếu có)", validators=[Optional(), Length(max=20)])
    sector = StringField("Lĩnh vực", validators=[Optional(), Length(max=120)])
    products = TextAreaField(
        "Sản phẩm sẽ trưng bày",
        validators=[DataRequired("Vui lòng giới thiệu sản phẩm sẽ trưng bày."), Length(max=3000)],
    )
    ocop_stars = SelectField("Sản phẩm OCOP (hạng sao cao nhất)", choices=OCOP_CHOICES, validate_choice=False)
    commune_code = SelectField("Xã, phường (nếu ở Quảng Ngãi)", validate_choice=False)
    contact_name = StringField(
        "Họ và tên người liên hệ",
        validators=[DataRequired("Vui lòng nhập họ và tên người liên hệ."), Length(max=120)],
    )
    contact_phone = TelField(
        "Số điện thoại di động",
        validators=[DataRequired("Vui lòng nhập số điện thoại di động."), Length(max=20)],
    )
    contact_email = EmailField(
        "Email nhận thông báo", validators=[DataRequired("Vui lòng nhập email."), Length(max=254)]
    )
    booth_type_id = SelectField(
        "Loại gian hàng",
        validators=[DataRequired("Vui lòng chọn loại gian hàng.")],
        validate_choice=False,
    )
    needs = MultiCheckboxField(
        "Nhu cầu của gian hàng", choices=list(PROVISIONS.items()), validate_choice=False
    )
    needs_note = TextAreaField("Nhu cầu khác (nếu có)", validators=[Optional(), Length(max=500)])
    photos = MultipleFileField(f"Ảnh sản phẩm hoặc gian hàng (JPEG/PNG, tối đa {MAX_PHOTOS} ảnh)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_code.choices = [("", "— Không chọn —")] + [(u.code, u.name) for u in units.communes()]


ApplicationForm = with_consents(ApplicationBase, "event_registration")


class OfferConfirmBase(ApplicationBase):
    """An offered team: the booth type was chosen by the organisers."""

    booth_type_id = None  # WTForms: removes the field inherited from ApplicationBase


OfferConfirmForm = with_consents(OfferConfirmBase, "event_registration")


class PhotosForm(Form):
    photos = MultipleFileField(f"Thêm ảnh (JPEG/PNG, tối đa {MAX_PHOTOS} ảnh mỗi hồ sơ)")


class DecisionForm(Form):
    status = RadioField(
        "Quyết định",
        choices=[
            ("accepted", "Nhận – cấp thẻ gian hàng"),
            ("waitlisted", "Đưa vào danh sách chờ"),
            ("refused", "Không nhận"),
        ],
        validators=[DataRequired("Vui lòng chọn quyết định.")],
        validate_choice=False,
    )
    reason = TextAreaField(
        "Lý do (bắt buộc khi đưa vào danh sách chờ hoặc không nhận; gửi kèm thư cho đơn vị)",
        validators=[Optional(), Length(max=500)],
    )


class PassForm(Form):
    full_name = StringField(
        "Họ và tên người giữ thẻ", validators=[DataRequired("Vui lòng nhập họ và tên."), Length(max=120)]
    )
    phone = TelField("Số điện thoại di động (không bắt buộc)", validators=[Optional(), Length(max=20)])


class OfferForm(Form):
    booth_type_id = SelectField(
        "Loại gian hàng mời",
        validators=[DataRequired("Vui lòng chọn loại gian hàng.")],
        validate_choice=False,
    )
