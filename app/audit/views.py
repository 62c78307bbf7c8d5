"""Admins read the audit log."""

from flask import render_template, request

from app.accounts.access import role_required
from app.accounts.models import Role
from app.audit import bp, services
from app.text import page_number


@bp.get("/")
@role_required(Role.ADMIN)
def list_events():
    page = page_number(request.args.get("trang"))
    action = request.args.get("hanh_dong", "").strip()
    query = request.args.get("q", "").strip()
    events, total = services.list_events(action=action, query=query, page=page)
    return render_template(
        "audit/list.html",
        events=events,
        total=total,
        page=page,
        page_size=services.PAGE_SIZE,
        actions=services.distinct_actions(),
        action=action,
        query=query,
    )
