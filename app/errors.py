"""Typed domain errors raised by services, and the web edge that maps them to responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

P = ParamSpec("P")
T = TypeVar("T")


class DomainError(Exception):
    """A rule said no. `status` is the HTTP hint for the web edge; `field` points at a form field.

    `errors` holds every field's message when a service refused several fields at once
    (`Invalid.many`); for a single refusal it is {field: message} (empty when no field is named).
    """

    status = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        errors: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or type(self).__name__
        self.errors: dict[str, str] = dict(errors) if errors else ({field: message} if field else {})


class Invalid(DomainError):
    status = 422

    @classmethod
    def many(cls, errors: Mapping[str, str], *, code: str | None = None) -> Invalid:
        """One refusal naming every bad field, so a form shows all of them in one answer.

        Keys are form field names ("" for a message about the whole form); `message` joins them
        all (a flash, the CLI, a JSON client), `field` is the first one."""
        if not errors:
            raise ValueError("Invalid.many needs at least one error")
        first = next(iter(errors))
        message = " ".join(dict.fromkeys(errors.values()))
        return cls(message, field=first or None, code=code, errors=errors)


class FieldErrors:
    """Collects the refusals of a service's checks, field by field, then refuses once with all of them.

        errors = FieldErrors()
        name = errors.check(field_value, normalize_name, full_name, "full_name")
        phone = errors.check(field_value, normalize_phone, phone, "phone")
        errors.raise_if_any()   # Invalid.many({...}) naming each bad field

    A check that failed gives None; the values are only used after `raise_if_any`.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        """The first message of a field is kept (the one that says what to fix first)."""
        self.errors.setdefault(field, message)

    def check(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        try:
            return check(*args, **kwargs)
        except Invalid as error:
            self.absorb(error)
            return None

    def absorb(self, error: Invalid) -> None:
        for field, message in (error.errors or {"": error.message}).items():
            self.add(field, message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid.many(self.errors)


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class TooManyAttempts(DomainError):
    status = 429


def apply_error(form, error: DomainError) -> None:
    """Show each of a service error's messages on its form field, or at the top of the form.

    A field the form's own checks already refused keeps that message (the service, asked to check
    the rest of a refused form, may say the same thing in other words)."""
    for name, message in (error.errors or {"": error.message}).items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            if not field.errors:
                field.errors = [message]
        elif message not in form.form_errors:
            form.form_errors.append(message)


def form_status(form) -> int:
    """422 when a submitted form carries errors (so tests and tools see the failure), else 200."""
    return 422 if (form.errors or form.form_errors) else 200


ERROR_TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy trang",
    405: "Phương thức không được phép",
    409: "Xung đột dữ liệu",
    413: "Tệp hoặc dữ liệu quá lớn",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
}

ERROR_MESSAGES = {
    400: "Yêu cầu gửi lên không hợp lệ. Vui lòng tải lại trang và thử lại.",
    401: "Vui lòng đăng nhập để tiếp tục.",
    403: "Tài khoản của bạn không có quyền xem trang này.",
    404: "Trang bạn tìm không tồn tại hoặc đã bị xoá.",
    405: "Trang này không nhận thao tác vừa gửi.",
    409: "Dữ liệu đã bị thay đổi bởi một thao tác khác. Vui lòng tải lại trang.",
    413: "Tệp tải lên vượt quá dung lượng cho phép.",
    422: "Dữ liệu gửi lên không hợp lệ.",
    429: "Bạn đã thao tác quá nhiều lần. Vui lòng chờ vài phút rồi thử lại.",
    500: "Đã có lỗi xảy ra ở máy chủ. Bộ phận kỹ thuật đã được ghi nhận; vui lòng thử lại sau.",
}


def wants_json() -> bool:
    """API paths and clients asking for JSON get JSON errors instead of HTML pages."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int, message: str | None = None, code: str | None = None, fields: Mapping[str, str] | None = None
):
    message = message or _(ERROR_MESSAGES.get(status, ERROR_MESSAGES[500]))
    if wants_json():
        body: dict[str, object] = {"error": code or str(status), "message": message}
        if fields and len(fields) > 1:
            body["fields"] = dict(fields)
        return jsonify(body), status
    title = _(ERROR_TITLES.get(status, ERROR_TITLES[500]))
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the error page itself failed: still answer in Vietnamese, never a blank 500
        current_app.logger.exception("error page failed to render")
        return f"{status} – {title}: {message}", status, {"Content-Type": "text/plain; charset=utf-8"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        return error_response(error.status, error.message, error.code, error.errors)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        return error_response(
            400,
            _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và gửi lại."),
            "csrf",
        )

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        status = error.code or 500
        message = None
        if status == 429:
            message = _(ERROR_MESSAGES[429])
        return error_response(status, message)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        # The failed request's transaction, so the error page itself can read the database
        # (Flask-SQLAlchemy's extension object; importing `db` here would be an import cycle).
        current_app.extensions["sqlalchemy"].session.rollback()
        return error_response(500)
