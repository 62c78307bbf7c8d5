"""Flask extensions, created unbound here and bound to the app in create_app."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import JSON, MetaData, String, event
from sqlalchemy.orm import DeclarativeBase, Mapper

from app.text import check_stored

# Stable constraint names so Alembic can alter/drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _guard_text_columns(mapper, cls) -> None:
    """Every String/Text/JSON column of every model passes the one text path when assigned.

    Forms and the API already clean what they receive and name the field; this catches what any
    other writer (a service, the CLI, an import) would otherwise store: a NUL byte (a 500 on
    PostgreSQL), controls or bidi overrides. It raises `Invalid` at assignment, before the value
    reaches the session, and stores NFC text.
    """
    if not issubclass(cls, db.Model):
        return
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.parent is not mapper or not isinstance(column.type, String | JSON):
            continue

        def clean(_target, value, _old, _initiator, key=prop.key):
            return check_stored(value, field=key)

        event.listen(getattr(cls, prop.key), "set", clean, retval=True)


event.listen(Mapper, "mapper_configured", _guard_text_columns)

db = SQLAlchemy(model_class=Base)

# The base class of every model. At run time it is Flask-SQLAlchemy's `db.Model` (table names, the
# session binding); type checkers see the declarative `Base` it is built from, which is what gives
# `Mapped[...]` attributes their types (mypy cannot use `db.Model`, an attribute, as a base class).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
