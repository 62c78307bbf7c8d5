"""Event forms: shape only (required, lengths, types); services check meaning (window, capacity …)."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.events.services import MAX_CAPACITY
from app.forms import Form
from app.privacy.forms import with_consents

REQUIRED_NAME = "Vui lòng nhập họ và tên."
DT_FORMAT = "%Y-%m-%dT%H:%M"
DT_MESSAGE = "Vui lòng nhập ngày giờ hợp lệ."


class RegistrationBase(Form):
    full_name = StringField("Họ và tên", validators=[DataRequired(REQUIRED_NAME), Length(max=120)])
    phone = TelField(
        "Số điện thoại di động",
        validators=[DataRequired("Vui lòng nhập số điện thoại di động."), Length(max=20)],
    )
    email = EmailField("Email (để nhận vé qua thư)", validators=[Optional(), Length(max=254)])
    organisation = StringField("Đơn vị / trường / doanh nghiệp", validators=[Optional(), Length(max=200)])
    category = SelectField("Bạn tham dự với tư cách", validators=[DataRequired("Vui lòng chọn loại khách.")])
    group_name = StringField("Tên đoàn (nếu đi theo đoàn)", validators=[Optional(), Length(max=200)])


RegistrationForm = with_consents(RegistrationBase, "event_registration")


class OrganiserRegistrationBase(RegistrationBase):
    phone = TelField("Số điện thoại di động", validators=[Optional(), Length(max=20)])


OrganiserRegistrationForm = with_consents(OrganiserRegistrationBase, "event_registration")


class ResendForm(Form):
    contact = StringField(
        "Số điện thoại hoặc email đã đăng ký",
        validators=[DataRequired("Vui lòng nhập số điện thoại hoặc email đã đăng ký."), Length(max=254)],
    )


class EventForm(Form):
    name = StringField(
        "Tên sự kiện", validators=[DataRequired("Vui lòng nhập tên sự kiện."), Length(max=200)]
    )
    slug = StringField(
        "Đường dẫn (chữ thường không dấu, số, gạch ngang)",
        validators=[DataRequired("Vui lòng nhập đường dẫn."), Length(max=80)],
    )
    venue = StringField("Địa điểm", validators=[Optional(), Length(max=200)])
    description = TextAreaField("Giới thiệu", validators=[Optional(), Length(max=5000)])
    starts_at = DateTimeLocalField("Bắt đầu", format=DT_FORMAT, validators=[DataRequired(DT_MESSAGE)])
    ends_at = DateTimeLocalField("Kết thúc", format=DT_FORMAT, validators=[DataRequired(DT_MESSAGE)])
    registration_opens_at = DateTimeLocalField("Mở đăng ký", format=DT_FORMAT, validators=[Optional()])
    registration_closes_at = DateTimeLocalField("Hạn đăng ký", format=DT_FORMAT, validators=[Optional()])
    capacity = IntegerField(
        "Sức chứa (bỏ trống nếu không giới hạn)",
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_CAPACITY,
                message="Sức chứa phải từ 1 đến 1.000.000 (bỏ trống nếu không giới hạn).",
            ),
        ],
    )
    categories = TextAreaField(
        "Loại khách (mỗi dòng một loại)", validators=[DataRequired("Cần ít nhất một loại khách.")]
    )
    public_categories = TextAreaField(
        "Loại khách được tự đăng ký trên trang công khai (mỗi dòng một loại)",
        validators=[Optional(), Length(max=2000)],
    )
    gates = TextAreaField(
        "Cổng check-in (mỗi dòng một cổng)", validators=[DataRequired("Cần ít nhất một cổng.")]
    )
    contest_id = SelectField(
        "Cuộc thi liên kết (tự đăng ký thí sinh chung kết và giám khảo)", coerce=int, default=0
    )
    is_published = BooleanField("Hiển thị trên trang chủ và nhận đăng ký", default=True)
    show_attendance = BooleanField("Sau sự kiện, trang công khai hiện số người đã check-in", default=False)
    late_checkin = BooleanField("Cho phép check-in sau khi sự kiện kết thúc", default=False)


class StaffForm(Form):
    email = EmailField(
        "Email tài khoản tình nguyện viên", validators=[DataRequired("Vui lòng nhập email."), Length(max=254)]
    )


class DeviceForm(Form):
    name = StringField(
        "Tên thiết bị", validators=[DataRequired("Vui lòng đặt tên thiết bị."), Length(max=80)]
    )


class ReasonForm(Form):
    reason = StringField("Lý do", validators=[DataRequired("Vui lòng ghi lý do."), Length(max=200)])
