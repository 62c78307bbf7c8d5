"""Privacy pages (the person's own data and requests are added with the contests package)."""

from app.privacy import bp
from app.privacy.services import purposes_for


@bp.app_context_processor
def privacy_helpers():
    return {"privacy_purposes": purposes_for}
