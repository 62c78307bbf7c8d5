"""Programme form: shape only; the service checks meaning (slug, year, the chosen contests and events)."""

from __future__ import annotations

from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.forms import Form


class CheckboxList(SelectMultipleField):
    """Checkboxes, each with its own label; unknown ids are the service's to refuse (a 422 in words)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


class ProgrammeForm(Form):
    name = StringField(
        "Tên chương trình", validators=[DataRequired("Vui lòng nhập tên chương trình."), Length(max=200)]
    )
    slug = StringField(
        "Đường dẫn (chữ thường không dấu, số, gạch ngang)",
        validators=[DataRequired("Vui lòng nhập đường dẫn."), Length(max=80)],
    )
    year = StringField("Năm", validators=[DataRequired("Vui lòng nhập năm, ví dụ 2024."), Length(max=10)])
    plan_reference = StringField("Căn cứ (kế hoạch, quyết định)", validators=[Optional(), Length(max=200)])
    description = TextAreaField("Giới thiệu", validators=[Optional(), Length(max=5000)])
    contest_ids = CheckboxList("Các cuộc thi thuộc chương trình")
    event_ids = CheckboxList("Các sự kiện thuộc chương trình")
    is_published = BooleanField("Hiển thị công khai", default=True)
