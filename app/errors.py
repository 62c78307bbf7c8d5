"""Typed domain errors raised by services, and the web edge that maps them to responses."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule said no. `status` is the HTTP hint for the web edge; `field` points at a form field."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or type(self).__name__


class Invalid(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class TooManyAttempts(DomainError):
    status = 429


def apply_error(form, error: DomainError) -> None:
    """Show a service error on its form field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


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


def error_response(status: int, message: str | None = None, code: str | None = None):
    message = message or _(ERROR_MESSAGES.get(status, ERROR_MESSAGES[500]))
    if wants_json():
        return jsonify({"error": code or str(status), "message": message}), status
    title = _(ERROR_TITLES.get(status, ERROR_TITLES[500]))
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the error page itself failed: still answer in Vietnamese, never a blank 500
        current_app.logger.exception("error page failed to render")
        return f"{status} – {title}: {message}", status, {"Content-Type": "text/plain; charset=utf-8"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        return error_response(error.status, error.message, error.code)

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
