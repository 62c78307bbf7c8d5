"""Certificate forms: shape only (lengths, choices); services check meaning (permission, the seal
image's content, which round belongs to the contest)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import Form


class TemplateForm(Form):
    authority = StringField("Cơ quan chủ quản (dòng 1, trái)", validators=[DataRequired(), Length(max=200)])
    issuer = StringField("Cơ quan cấp (dòng 2, trái)", validators=[DataRequired(), Length(max=200)])
    title = StringField("Tiêu đề", validators=[DataRequired(), Length(max=200)])
    wording_prize = TextAreaField("Lời chứng nhận – đạt giải", validators=[Optional(), Length(max=500)])
    wording_finalist = TextAreaField("Lời chứng nhận – vào vòng", validators=[Optional(), Length(max=500)])
    wording_attendance = TextAreaField("Lời chứng nhận – tham dự", validators=[Optional(), Length(max=500)])
    place = StringField("Địa danh (ghi trước ngày cấp)", validators=[DataRequired(), Length(max=100)])
    signer_title = StringField("Chức vụ người ký", validators=[DataRequired(), Length(max=200)])
    signer_name = StringField("Họ tên người ký", validators=[Optional(), Length(max=120)])
    seal = FileField("Ảnh chữ ký và con dấu (PNG hoặc JPEG, tối đa 2 MB)")
    remove_seal = BooleanField("Bỏ ảnh con dấu hiện tại")


class IssueForm(Form):
    group = HiddenField(validators=[DataRequired()])
    round_id = SelectField("Vòng", coerce=str, validate_choice=False, validators=[Optional()])


class RevokeForm(Form):
    reason = StringField(
        "Lý do thu hồi", validators=[DataRequired("Vui lòng nhập lý do thu hồi."), Length(max=300)]
    )


class BatchForm(Form):
    format = HiddenField(validators=[DataRequired()])
