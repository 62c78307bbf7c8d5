"""The Sở's system page and the Prometheus endpoint."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST

from app.accounts.access import role_required
from app.accounts.models import Role
from app.errors import NotFound
from app.observability import bp, services
from app.observability.prometheus import exposition


@bp.get("/quan-tri/so-lieu-he-thong")
@role_required(Role.ORGANISER)
def system_metrics():
    services.require_metrics_access(current_user)
    hours = services.parse_hours(request.args.get("gio"))
    figures = services.system_figures(hours)
    labels = {"requests": _("Yêu cầu"), "errors": _("Lỗi máy chủ (5xx)"), "checkins": _("Check-in")}
    return render_template(
        "observability/system.html",
        figures=figures,
        chart=figures.chart(labels),
        labels=labels,
        hours_choices=services.HOURS_CHOICES,
    )


@bp.get("/metrics")
def metrics():
    """Prometheus text format, for `Authorization: Bearer <METRICS_TOKEN>`; without the setting the
    endpoint does not exist (404)."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        raise NotFound("Trang bạn tìm không tồn tại hoặc đã bị xoá.")
    if not services.token_matches(request.headers.get("Authorization"), token):
        return Response(
            "Thiếu hoặc sai mã truy cập số liệu (Authorization: Bearer …).\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(exposition(), content_type=CONTENT_TYPE_LATEST)
