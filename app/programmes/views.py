"""Programme pages (public, by year, and one programme's activities) and Sở staff's programme forms;
plus the helpers the contests and events lists use to say what is finished and where its results are."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.access import role_required
from app.accounts.models import Role
from app.errors import DomainError, apply_error, form_status
from app.localtime import utcnow
from app.programmes import bp, forms, services

# The public results page of a contest (issue 13) lives in another package; it is found by its path,
# so these pages link to it as soon as it exists and never to a page that does not.
RESULTS_RULE = "/cuoc-thi/<slug>/ket-qua"


def _results_endpoint() -> str:
    endpoint = current_app.extensions.get("programmes_results_endpoint")
    if endpoint is None:
        found = [rule.endpoint for rule in current_app.url_map.iter_rules() if rule.rule == RESULTS_RULE]
        endpoint = current_app.extensions["programmes_results_endpoint"] = found[0] if found else ""
    return endpoint


def results_url(contest_slug: str | None) -> str | None:
    """The public results page of this contest, or None while that page does not exist."""
    endpoint = _results_endpoint()
    return url_for(endpoint, slug=contest_slug) if endpoint and contest_slug else None


def contest_results_urls(contest_ids: Iterable[int]) -> dict[int, str]:
    """Results links of the contests among these with a published round (two small queries)."""
    if not _results_endpoint():
        return {}
    with_results = services.contests_with_results(contest_ids)
    return {
        cid: url_for(_results_endpoint(), slug=slug)
        for cid, slug in services.contest_slugs(with_results).items()
    }


@bp.app_context_processor
def programme_helpers():
    return {
        "contest_states": services.contest_states,
        "contest_results_urls": contest_results_urls,
        "results_url": results_url,
    }


# --- public -------------------------------------------------------------------------------------


@bp.get("/chuong-trinh")
def list_programmes():
    return render_template("programmes/list.html", years=services.programmes_by_year())


@bp.get("/chuong-trinh/<slug>")
def show_programme(slug: str):
    programme = services.get_public_programme(slug)
    return render_template(
        "programmes/show.html", programme=programme, activities=services.activities(programme, utcnow())
    )


# --- Sở staff -----------------------------------------------------------------------------------


@bp.get("/quan-ly/chuong-trinh")
@role_required(Role.ORGANISER)
def manage_programmes():
    services.require_programme_manager(current_user)
    return render_template("programmes/manage_list.html", programmes=services.list_programmes())


def _form_data(form) -> dict:
    return {
        "name": form.name.data or "",
        "slug": form.slug.data or "",
        "year": form.year.data or "",
        "plan_reference": form.plan_reference.data or "",
        "description": form.description.data or "",
        "contest_ids": form.contest_ids.data or [],
        "event_ids": form.event_ids.data or [],
        "is_published": form.is_published.data,
    }


def _with_choices(form):
    contests, events = services.programme_choices()
    form.contest_ids.choices = [(str(c.id), f"{c.name} ({c.year})") for c in contests]
    form.event_ids.choices = [(str(e.id), e.name) for e in events]
    return form


@bp.route("/quan-ly/chuong-trinh/tao-moi", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def create_programme():
    services.require_programme_manager(current_user)
    form = _with_choices(forms.ProgrammeForm())
    if request.method == "GET":
        form.year.data = str(utcnow().year)
    if form.validate_on_submit():
        try:
            programme = services.create_programme(current_user, _form_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã tạo chương trình.", "success")
            return redirect(url_for("programmes.edit_programme", programme_id=programme.id))
    return render_template("programmes/form.html", form=form, programme=None), form_status(form)


@bp.route("/quan-ly/chuong-trinh/<int:programme_id>/sua", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_programme(programme_id: int):
    programme = services.get_programme_for_manager(current_user, programme_id)
    form = _with_choices(forms.ProgrammeForm(obj=programme if request.method == "GET" else None))
    if request.method == "GET":
        form.year.data = str(programme.year)
        contest_ids, event_ids = services.programme_members(programme)
        form.contest_ids.data = [str(i) for i in contest_ids]
        form.event_ids.data = [str(i) for i in event_ids]
    if form.validate_on_submit():
        try:
            services.update_programme(current_user, programme, _form_data(form))
        except DomainError as error:
            apply_error(form, error)
        else:
            flash("Đã lưu chương trình.", "success")
            return redirect(url_for("programmes.edit_programme", programme_id=programme.id))
    return render_template("programmes/form.html", form=form, programme=programme), form_status(form)
