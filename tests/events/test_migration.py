"""Migration 0007 gives events that existed before it the default self-service categories."""

from __future__ import annotations

import json

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.conftest import make_config
from tests.test_migrations import empty_database_url  # noqa: F401  (the fixture: an empty database)


def test_existing_events_get_the_default_public_categories(empty_database_url, tmp_path):  # noqa: F811
    app = create_app(make_config(empty_database_url, tmp_path))
    with app.app_context():
        upgrade(revision="0006_exports")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO events (slug, name, venue, description, starts_at, ends_at, registered_count,"
                    " categories, gates, is_published, created_at) VALUES ('cu', 'Sự kiện cũ', '', '',"
                    " :t, :t, 0, :categories, '[\"Cổng A\"]', :yes, :t)"
                ),
                {"t": "2024-05-18 00:00:00", "categories": '["Báo chí", "Thí sinh"]', "yes": True},
            )
        upgrade(revision="0007_events_public")
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT public_categories FROM events")).scalar_one()
        value = stored if isinstance(stored, list) else json.loads(stored)  # psycopg decodes JSON itself
        assert value == ["Thí sinh", "Khách tham quan"]
        downgrade(revision="0006_exports")
        db.engine.dispose()
