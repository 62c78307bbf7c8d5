"""Forms of the booth floor: shape only (required, lengths, number types); app.booths.floor checks
meaning (the window against the event, counts, free cells, free booths)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.booths.floor import GRID_MAX, MAX_BOOTHS_PER_TYPE, MAX_PASSES
from app.booths.models import PROVISIONS
from app.forms import Form

DT_FORMAT = "%Y-%m-%dT%H:%M"
DT_MESSAGE = "Vui lòng nhập ngày giờ hợp lệ."
WHOLE = "Vui lòng nhập một số nguyên."


class SettingsForm(Form):
    is_open = BooleanField("Đang nhận đăng ký gian hàng")
    opens_at = DateTimeLocalField("Mở nhận đăng ký từ", format=DT_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField("Hạn nhận đăng ký", format=DT_FORMAT, validators=[Optional()])
    exhibitor_rules = TextAreaField(
        "Quy định cho đơn vị trưng bày (cần mang theo gì, giờ dựng gian, vệ sinh …)",
        validators=[Optional(), Length(max=5000)],
    )
    grid_columns = IntegerField(
        "Số cột của lưới sơ đồ",
        validators=[
            DataRequired(WHOLE),
            NumberRange(min=1, max=GRID_MAX, message=f"Số cột phải từ 1 đến {GRID_MAX}."),
        ],
    )
    grid_rows = IntegerField(
        "Số hàng của lưới sơ đồ",
        validators=[
            DataRequired(WHOLE),
            NumberRange(min=1, max=GRID_MAX, message=f"Số hàng phải từ 1 đến {GRID_MAX}."),
        ],
    )


class CheckboxList(SelectMultipleField):
    """Checkboxes, each with its own label; unknown keys are the service's to refuse."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class BoothTypeForm(Form):
    name = StringField(
        "Tên loại gian", validators=[DataRequired("Vui lòng nhập tên loại gian."), Length(max=120)]
    )
    size = StringField("Kích thước (ví dụ 3 m × 3 m)", validators=[Optional(), Length(max=60)])
    count = IntegerField(
        "Số lượng gian",
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_BOOTHS_PER_TYPE, message=f"Số gian phải từ 0 đến {MAX_BOOTHS_PER_TYPE}."
            ),
        ],
        default=0,
    )
    prefix = StringField(
        "Tiền tố số gian (ví dụ A → A01, A02 …; bỏ trống để hệ thống tự chọn)",
        validators=[Optional(), Length(max=4)],
    )
    provides = CheckboxList("Ban tổ chức cung cấp", choices=list(PROVISIONS.items()))
    provides_note = StringField(
        "Ghi chú về trang bị (ví dụ 1 bàn, 2 ghế, 1 ổ cắm)", validators=[Optional(), Length(max=300)]
    )
    passes = IntegerField(
        "Số thẻ gian hàng cho mỗi gian",
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_PASSES, message=f"Số thẻ phải từ 0 đến {MAX_PASSES}."),
        ],
        default=2,
    )
    position = IntegerField(
        "Thứ tự hiển thị",
        validators=[Optional(), NumberRange(min=0, max=999, message="Thứ tự phải từ 0 đến 999.")],
        default=0,
    )


class PlanForm(Form):
    plan = FileField("Ảnh sơ đồ mặt bằng (JPEG hoặc PNG, tối đa 10 MB)")


class PlaceForm(Form):
    """One booth's zone and place; the page holds one per booth, each with its own prefix."""

    zone = StringField("Khu", validators=[Optional(), Length(max=60)])
    x_percent = IntegerField(
        "Ngang (% từ trái)",
        validators=[Optional(), NumberRange(min=0, max=100, message="Từ 0 đến 100.")],
    )
    y_percent = IntegerField(
        "Dọc (% từ trên)",
        validators=[Optional(), NumberRange(min=0, max=100, message="Từ 0 đến 100.")],
    )
    grid_column = IntegerField(
        "Cột", validators=[Optional(), NumberRange(min=1, max=GRID_MAX, message=f"Từ 1 đến {GRID_MAX}.")]
    )
    grid_row = IntegerField(
        "Hàng", validators=[Optional(), NumberRange(min=1, max=GRID_MAX, message=f"Từ 1 đến {GRID_MAX}.")]
    )


class AllocateForm(Form):
    booth_id = SelectField(
        "Chọn gian còn trống",
        validators=[DataRequired("Vui lòng chọn một gian.")],
        validate_choice=False,  # the service says whether the booth is (still) free
    )
