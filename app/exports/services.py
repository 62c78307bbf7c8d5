"""The exports package's former single service module, kept as a re-export for callers outside the
package while they move to the modules that now hold each subject:

  permissions.py    who may download what (`contest_for_user`, `require_report_access` …)
  downloads.py      the .xlsx builders (`results_export`, `attendance_export` …, `Export`)
  annual_report.py  the annual report, the plan's targets and the small-cell rule
  dashboard.py      the organisers' dashboard figures
  uploads.py        uploaded guest lists kept between preview and confirmation
  app.events.guests the import of invited guests (it writes event data)

Nothing inside app/exports imports this module; new code imports the subject modules.
"""

from app.events.guests import (
    GUEST_FIELDS,
    GUEST_HEADERS,
    ImportCheck,
    ImportResult,
    RowCheck,
    check_guest_file,
    guest_template,
    import_guests,
)
from app.exports.annual_report import (
    AGE_BANDS,
    ORGANISATION_TYPE_NONE,
    ORGANISATION_TYPE_OTHER,
    ORGANISATION_TYPES,
    SMALL_CELL,
    TARGET_MAX,
    YearData,
    age_band,
    checkins_per_event,
    consenting_members,
    organisation_type,
    report_export,
    save_targets,
    suppress_small,
    target_rows,
    year_data,
)
from app.exports.dashboard import (
    COUNTED_STATES,
    UNKNOWN,
    checkins_by_hour_and_gate,
    contest_breakdowns,
    dashboard_events,
    judging_overview,
    submissions_over_time,
)
from app.exports.downloads import (
    XLSX_MIMETYPE,
    Export,
    attendance_export,
    contest_stats_export,
    entries_export,
    judges_export,
    rejected_rows_export,
    requests_export,
    results_export,
    write_export,
)
from app.exports.permissions import (
    contest_for_user,
    event_for_user,
    get_contest,
    get_event,
    require_report_access,
    round_for_user,
    round_of,
)
from app.exports.uploads import IMPORT_TTL, drop_upload, load_upload, stash_upload

__all__ = [
    "AGE_BANDS",
    "COUNTED_STATES",
    "GUEST_FIELDS",
    "GUEST_HEADERS",
    "IMPORT_TTL",
    "ORGANISATION_TYPES",
    "ORGANISATION_TYPE_NONE",
    "ORGANISATION_TYPE_OTHER",
    "SMALL_CELL",
    "TARGET_MAX",
    "UNKNOWN",
    "XLSX_MIMETYPE",
    "Export",
    "ImportCheck",
    "ImportResult",
    "RowCheck",
    "YearData",
    "age_band",
    "attendance_export",
    "check_guest_file",
    "checkins_by_hour_and_gate",
    "checkins_per_event",
    "consenting_members",
    "contest_breakdowns",
    "contest_for_user",
    "contest_stats_export",
    "dashboard_events",
    "drop_upload",
    "entries_export",
    "event_for_user",
    "get_contest",
    "get_event",
    "guest_template",
    "import_guests",
    "judges_export",
    "judging_overview",
    "load_upload",
    "organisation_type",
    "rejected_rows_export",
    "report_export",
    "require_report_access",
    "requests_export",
    "results_export",
    "round_for_user",
    "round_of",
    "save_targets",
    "stash_upload",
    "submissions_over_time",
    "suppress_small",
    "target_rows",
    "write_export",
    "year_data",
]
