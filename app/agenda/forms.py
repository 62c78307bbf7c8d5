"""Session form: shape only (required, lengths, types); the service checks meaning (the event's days,
end after start, capacity not below the places given)."""

from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.agenda.models import KINDS
from app.agenda.services import MAX_CAPACITY
from app.forms import Form

PEOPLE_HELP = "Mỗi dòng một người: Họ tên – chức danh, đơn vị"


class SessionForm(Form):
    title = StringField("Tên phiên", validators=[DataRequired("Vui lòng nhập tên phiên."), Length(max=200)])
    kind = SelectField("Loại hoạt động", choices=list(KINDS.items()), default="talk")
    day = SelectField("Ngày", validators=[DataRequired("Vui lòng chọn ngày.")])
    start = TimeField("Giờ bắt đầu", validators=[DataRequired("Vui lòng nhập giờ bắt đầu (giờ:phút).")])
    end = TimeField("Giờ kết thúc", validators=[DataRequired("Vui lòng nhập giờ kết thúc (giờ:phút).")])
    room = StringField("Phòng / khu vực", validators=[Optional(), Length(max=120)])
    speakers = TextAreaField("Diễn giả", validators=[Optional(), Length(max=3000)])
    moderators = TextAreaField("Người điều phối", validators=[Optional(), Length(max=3000)])
    description = TextAreaField("Giới thiệu", validators=[Optional(), Length(max=5000)])
    capacity = IntegerField(
        "Số chỗ (bỏ trống nếu không giới hạn)",
        validators=[
            Optional(),
            NumberRange(
                min=1, max=MAX_CAPACITY, message="Số chỗ phải từ 1 đến 100.000 (bỏ trống nếu không giới hạn)."
            ),
        ],
    )
    registration_required = BooleanField("Cần đăng ký trước (người tham dự giữ chỗ trên trang vé)")
    is_published = BooleanField("Hiển thị công khai trên lịch hoạt động", default=True)
