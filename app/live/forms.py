"""The live final's settings form: shape only; app/live/services.py checks meaning."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange

from app.forms import Form


class StageForm(Form):
    pitch_minutes = IntegerField(
        _l("Thời gian thuyết trình (phút)"), default=8, validators=[InputRequired(), NumberRange(1, 120)]
    )
    qa_minutes = IntegerField(
        _l("Thời gian hỏi đáp (phút)"), default=10, validators=[InputRequired(), NumberRange(1, 120)]
    )
    event_id = SelectField(_l("Sự kiện chung kết (vé đã check-in được bình chọn)"), coerce=str, choices=[])
    vote_enabled = BooleanField(_l("Cho khán giả bình chọn"))
    # Not limited to the listed choices here: a left-out field means "none", and the service says
    # which component does not exist.
    vote_component = SelectField(
        _l("Điểm thành phần nhận kết quả bình chọn"), coerce=str, choices=[], validate_choice=False
    )
