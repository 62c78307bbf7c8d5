"""Backups that restore: the database, the uploaded files and a manifest of their SHA-256 checksums.

    create_backup(ROOT)  → ROOT/<YYYYmmdd-HHMMSSZ>/ database.sqlite3 | database.pgdump, uploads/…, manifest.json
    prune_backups(ROOT, keep=N, protect=that one)
    restore_backup(check_backup(ROOT/<stamp>))

A backup is written under a hidden temporary name (`.partial-…`) and renamed when complete, so a
folder named like a backup always holds a complete one and retention never sees one being written.
The database is copied first, then the files: a file uploaded meanwhile is at worst an orphan in the
backup; a row's file can only be missing if it was deleted during the backup.

- SQLite: the online backup API copies the file in one step inside one read transaction — a consistent
  snapshot while the app keeps writing (in WAL mode readers never block writers). Restoring uses the
  same API the other way, so the live file is replaced under SQLite's own lock (a renamed file would
  leave the old -wal/-shm beside it and open connections on the old inode).
- PostgreSQL: `pg_dump -Fc` (one snapshot); restore replays it with `pg_restore --clean --if-exists
  --no-owner` through `psql --single-transaction`, after dropping every table of the schema, so a table
  made by a newer migration cannot survive into the older data and a failure changes nothing. The
  credentials go to libpq through its environment (PGPASSWORD …), never on a command line `ps` shows.

Not in a backup, on purpose: JOB_DIR (files people asked for, kept JOB_FILE_HOURS; a restored job
without its file reads as expired and is asked for again), the task queue (JOBS_DB or Redis: mail not
yet delivered), instance/imports (stashed import previews), and the settings with SECRET_KEY — keep
the environment file safe separately: tickets are signed with a key derived from SECRET_KEY, so a
restore under another key invalidates every ticket.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess  # nosec B404: pg_dump/pg_restore/psql/git, fixed argument lists, no shell
import tempfile
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from app.errors import Invalid
from app.extensions import db
from app.localtime import utcnow

ROOT = Path(__file__).resolve().parents[2]
FORMAT = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KIND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
STAMP_FORMAT = "%Y%m%d-%H%M%SZ"
STAMP_RE = re.compile(r"^\d{8}-\d{6}Z(?:-\d+)?$")
PARTIAL_PREFIX = ".partial-"
TRASH_PREFIX = ".deleting-"
CHUNK = 1024 * 1024
UNKNOWN_VERSION = "không rõ"
# libpq reads these from its environment; a URL's query may carry them (?sslmode=require).
LIBPQ_QUERY_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
# Run first in the restore's transaction: every table, view, sequence and enum/domain of the schema
# goes, so the schema afterwards is exactly the dump's (a table of a newer migration would otherwise
# survive and break `db upgrade`). The dump's own --clean then removes anything else it recreates.
DROP_SCHEMA_OBJECTS = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relkind, format('%I.%I', n.nspname, c.relname) AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm', 'r', 'p', 'f', 'S')
           ORDER BY c.relkind = 'S', c.relkind IN ('r', 'p', 'f')
  LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
                   CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                  WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                   r.name);
  END LOOP;
  FOR r IN SELECT format('%I.%I', n.nspname, t.typname) AS name
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd')
  LOOP
    EXECUTE format('DROP TYPE IF EXISTS %s CASCADE', r.name);
  END LOOP;
END $$;
"""


@dataclass(frozen=True)
class FileEntry:
    """One file of a backup: its path inside the backup folder (POSIX), size and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What `manifest.json` says about a backup."""

    app_version: str
    database_kind: str
    alembic_revisions: tuple[str, ...]
    created_at: datetime
    host: str
    files: tuple[FileEntry, ...]

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.database_kind]

    @property
    def upload_files(self) -> list[FileEntry]:
        return [entry for entry in self.files if entry.path.startswith(f"{UPLOADS}/")]

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.files)

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "app_version": self.app_version,
            "database": {
                "kind": self.database_kind,
                "file": self.database_file,
                "alembic_revisions": list(self.alembic_revisions),
            },
            "created_at": self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "host": self.host,
            "not_included": "JOB_DIR, hàng đợi công việc (JOBS_DB/Redis), instance/imports, tệp cấu hình (SECRET_KEY)",
            "files": [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in self.files],
        }

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        """Read a manifest; anything of the wrong shape is a damaged backup."""
        if not isinstance(data, dict):
            raise Invalid("Bản sao lưu bị hỏng: manifest.json không đúng cấu trúc. Không khôi phục gì.")
        try:
            if data["format"] != FORMAT:
                raise Invalid(
                    f"manifest.json có định dạng {data['format']!r}, mã nguồn này chỉ đọc định dạng {FORMAT}."
                )
            database = data["database"]
            kind = database["kind"]
            revisions = tuple(str(rev) for rev in database["alembic_revisions"])
            files = tuple(
                FileEntry(str(item["path"]), int(item["size"]), str(item["sha256"])) for item in data["files"]
            )
            created_at = datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            manifest = cls(
                str(data["app_version"]), str(kind), revisions, created_at, str(data["host"]), files
            )
        except (KeyError, TypeError, ValueError) as error:
            raise Invalid(
                "Bản sao lưu bị hỏng: manifest.json không đúng cấu trúc. Không khôi phục gì."
            ) from error
        if kind not in DATABASE_FILES or manifest.database_file not in {e.path for e in files}:
            raise Invalid(
                "Bản sao lưu bị hỏng: manifest.json không ghi tệp cơ sở dữ liệu. Không khôi phục gì."
            )
        return manifest


@dataclass(frozen=True)
class Backup:
    """A complete backup just written."""

    path: Path
    manifest: Manifest


@dataclass(frozen=True)
class CheckedBackup:
    """A backup whose every file matched its checksum and that this code and database can take."""

    path: Path
    manifest: Manifest
    code_heads: tuple[str, ...]

    @property
    def needs_upgrade(self) -> bool:
        """Older than the code: `db upgrade heads` runs after the restore."""
        return bool(self.manifest.alembic_revisions) and set(self.manifest.alembic_revisions) != set(
            self.code_heads
        )


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    files_written: int
    files_kept: int
    files_removed: int
    upgraded_to: tuple[str, ...]


# --- what is configured ---------------------------------------------------------------------------


def database_kind() -> str:
    """ "sqlite" or "postgresql": the configured database's kind (DATABASE_URL)."""
    name = db.engine.dialect.name
    if name not in DATABASE_FILES:
        raise Invalid(f"Chỉ sao lưu và khôi phục được SQLite hoặc PostgreSQL (DATABASE_URL đang là {name}).")
    return name


def database_revisions() -> tuple[str, ...]:
    """The Alembic revisions the database is at (empty for a database made without migrations)."""
    # Read directly: Alembic's MigrationContext would log two INFO lines into the command's output.
    if not inspect(db.engine).has_table("alembic_version"):
        return ()
    with db.engine.connect() as conn:
        return tuple(sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()))


def migration_scripts() -> ScriptDirectory:
    return ScriptDirectory(str(current_app.extensions["migrate"].directory))


def app_version() -> str:
    """`git describe` of the checkout, else the VERSION file of a release, else "không rõ"."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        try:
            found = subprocess.run(  # noqa: S603 — fixed arguments, no shell
                [git, "-C", str(ROOT), "describe", "--tags", "--always"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            found = None
        if found and found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip()
    version_file = ROOT / "VERSION"
    if version_file.is_file():
        return version_file.read_text("utf-8").strip()[:100] or UNKNOWN_VERSION
    return UNKNOWN_VERSION


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _sqlite_path() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise Invalid(
            "Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu hay khôi phục được: đặt DATABASE_URL là một tệp."
        )
    return Path(name)


# --- PostgreSQL tools -------------------------------------------------------------------------------


def libpq_environment(url: URL) -> dict[str, str]:
    """The process environment for pg_dump/pg_restore/psql: the URL's host, port, user, password and
    database as PG* variables, so no credential appears in a command line."""
    env = dict(os.environ)
    values: dict[str, object] = {
        "PGHOST": url.host,
        "PGPORT": url.port,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    for key, name in LIBPQ_QUERY_ENV.items():
        value = url.query.get(key)
        if isinstance(value, str):
            values[name] = value
    env.update({name: str(value) for name, value in values.items() if value not in (None, "")})
    env["PGAPPNAME"] = "kndmst-backup"
    return env


def postgres_tool(name: str) -> str:
    """The full path of pg_dump / pg_restore / psql: PATH first, then Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found

    def version(folder: Path) -> tuple[int, ...]:
        digits = re.findall(r"\d+", folder.parent.name)
        return tuple(int(d) for d in digits)

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: version(p.parent))
    if candidates:
        return str(candidates[-1])
    raise Invalid(
        f"Không tìm thấy {name}: hãy cài gói postgresql-client (Debian: apt-get install postgresql-client)."
    )


def pg_dump_command(target: Path) -> list[str]:
    """pg_dump's arguments: no connection detail (they come from `libpq_environment`)."""
    return [postgres_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"]


def _tail(text: bytes) -> str:
    lines = text.decode("utf-8", "replace").strip().splitlines()
    return " / ".join(lines[-5:])


def _dump_postgres(target: Path) -> None:
    env = libpq_environment(db.engine.url)
    done = subprocess.run(pg_dump_command(target), env=env, capture_output=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise Invalid(f"pg_dump thất bại: {_tail(done.stderr)}")


def _restore_postgres(dump: Path) -> None:
    env = libpq_environment(db.engine.url)
    # A running app server holding a lock makes the restore wait; fail after a minute instead, saying why.
    env["PGOPTIONS"] = (
        env.get("PGOPTIONS", "") + " -c lock_timeout=60s -c client_min_messages=warning"
    ).strip()
    restore = [
        postgres_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--file=-",
        str(dump),
    ]
    psql = [postgres_tool("psql"), "--no-psqlrc", "--no-password", "--quiet", "--set=ON_ERROR_STOP=1"]
    # One transaction that only commits if pg_restore finished: COMMIT is written after it exits with
    # success; a failure on either side ends psql's input without it, and the server rolls back.
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors:
        producer = subprocess.Popen(restore, env=env, stdout=subprocess.PIPE, stderr=restore_errors)  # noqa: S603
        consumer = subprocess.Popen(  # noqa: S603
            psql, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors
        )
        source, sink = producer.stdout, consumer.stdin
        if source is None or sink is None:
            raise RuntimeError("pipes were requested")
        try:
            sink.write(f"BEGIN;\n{DROP_SCHEMA_OBJECTS}\n".encode())
            while chunk := source.read(CHUNK):
                sink.write(chunk)
            if producer.wait() == 0:
                sink.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped on an error; its message says which
        finally:
            source.close()
            with suppress(BrokenPipeError):
                sink.close()
            producer.wait()
            consumer.wait()
        restore_errors.seek(0)
        psql_errors.seek(0)
        if consumer.returncode != 0:
            raise Invalid(
                "Khôi phục PostgreSQL thất bại, cơ sở dữ liệu không đổi (mọi thay đổi đã được huỷ): "
                f"{_tail(psql_errors.read())}. Nếu lỗi là lock_timeout: hãy dừng các máy chủ ứng dụng rồi chạy lại."
            )
        if producer.returncode != 0:
            raise Invalid(f"pg_restore thất bại, cơ sở dữ liệu không đổi: {_tail(restore_errors.read())}")


# --- SQLite -----------------------------------------------------------------------------------------


def _dump_sqlite(target: Path) -> None:
    source = _sqlite_path()
    if not source.is_file():
        raise Invalid(f"Không thấy tệp cơ sở dữ liệu SQLite {source}.")
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # pages=-1: the whole file in one step, one read transaction → one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a standalone file: no -wal/-shm beside it
        (verdict,) = dst.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise Invalid(f"Bản sao SQLite không toàn vẹn ({verdict}): cơ sở dữ liệu nguồn có thể đã hỏng.")


def _restore_sqlite(source: Path) -> None:
    target = _sqlite_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # immutable: SQLite only reads the backup file (no lock, no journal written in the backup folder).
    uri = f"{source.resolve().as_uri()}?mode=ro&immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as src, closing(sqlite3.connect(target, timeout=60)) as dst:
        src.backup(dst)  # one write transaction on the live file: old or new, never half


# --- files ------------------------------------------------------------------------------------------


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _copy_file(source: Path, target: Path) -> tuple[int, str]:
    """Copy, hashing on the way (one read), and flush to disk."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return size, digest.hexdigest()


def _walk_files(root: Path) -> Iterator[Path]:
    """Regular files and symlinks under root, in a stable order (symlinks never followed)."""
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(folder) / name


def _inside(root: Path, relative: str) -> Path:
    """`root/relative` for a manifest path, refusing anything that would leave root."""
    pure = PurePosixPath(relative)
    if (
        pure.is_absolute()
        or not pure.parts
        or any(part in ("", ".", "..") for part in pure.parts)
        or "\\" in relative
    ):
        raise Invalid(
            f"Bản sao lưu bị hỏng: đường dẫn không hợp lệ trong manifest.json ({relative!r}). Không khôi phục gì."
        )
    return root.joinpath(*pure.parts)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_uploads(source: Path, target: Path) -> list[FileEntry]:
    entries: list[FileEntry] = []
    if not source.is_dir():
        return entries
    for path in _walk_files(source):
        if path.is_symlink() or not path.is_file():
            continue  # the app writes regular files only; a link could point anywhere
        relative = path.relative_to(source).as_posix()
        try:
            size, sha = _copy_file(path, target / relative)
        except FileNotFoundError:
            continue  # deleted while we walked: its row went with it
        entries.append(FileEntry(f"{UPLOADS}/{relative}", size, sha))
    return entries


# --- backup -----------------------------------------------------------------------------------------


def create_backup(root: Path, *, now: datetime | None = None) -> Backup:
    """Write a complete backup into a new folder `root/<UTC time>` and return it."""
    now = now or utcnow()
    uploads = upload_dir()
    if root.resolve().is_relative_to(uploads.resolve()):
        raise Invalid(f"Thư mục sao lưu {root} nằm trong thư mục tải lên {uploads}: hãy chọn nơi khác.")
    kind = database_kind()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = now.astimezone(UTC).strftime(STAMP_FORMAT)
    partial = root / f"{PARTIAL_PREFIX}{stamp}-{secrets.token_hex(4)}"
    partial.mkdir(mode=0o700)
    try:
        revisions = database_revisions()
        database_file = partial / DATABASE_FILES[kind]
        if kind == "sqlite":
            _dump_sqlite(database_file)
        else:
            _dump_postgres(database_file)
        size, sha = _hash_file(database_file)
        files = [FileEntry(database_file.name, size, sha), *_copy_uploads(uploads, partial / UPLOADS)]
        manifest = Manifest(app_version(), kind, revisions, now, socket.gethostname(), tuple(files))
        with (partial / MANIFEST).open("w", encoding="utf-8") as handle:
            json.dump(manifest.to_json(), handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        final = _publish(partial, root, stamp)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Backup(final, manifest)


def _publish(partial: Path, root: Path, stamp: str) -> Path:
    """Rename the finished folder to its stamp (a suffix if that second is taken)."""
    for n in range(1, 1000):
        final = root / (stamp if n == 1 else f"{stamp}-{n}")
        if final.exists():
            continue
        os.rename(partial, final)
        _fsync_dir(root)
        return final
    raise Invalid(f"Quá nhiều bản sao lưu trong cùng một giây trong {root}.")


def list_backups(root: Path) -> list[Path]:
    """Complete backups in root, oldest first: folders named by their time that hold a manifest."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and STAMP_RE.match(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=lambda p: p.name)


def unfinished_backups(root: Path) -> list[Path]:
    """Folders left by a backup still being written, or by one that was interrupted."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith((PARTIAL_PREFIX, TRASH_PREFIX)))


def prune_backups(root: Path, keep: int, *, protect: Path) -> list[Path]:
    """Delete the oldest complete backups so that `keep` remain, `protect` (the one just made) always
    among them; folders being written and anything not named like a backup are never touched."""
    if keep < 1:
        raise Invalid("Số bản sao lưu giữ lại (--keep) phải từ 1 trở lên.")
    others = [p for p in list_backups(root) if p.resolve() != protect.resolve()]
    doomed = others[: max(0, len(others) - (keep - 1))]
    removed: list[Path] = []
    for path in doomed:
        # Renamed first: a deletion cut short never leaves a damaged folder that looks complete.
        trash = root / f"{TRASH_PREFIX}{path.name}-{secrets.token_hex(4)}"
        try:
            os.rename(path, trash)
        except FileNotFoundError:
            continue  # another backup run pruned it a moment ago
        shutil.rmtree(trash)
        removed.append(path)
    return removed


# --- restore ----------------------------------------------------------------------------------------


def _read_manifest(path: Path) -> Manifest:
    if not path.is_dir():
        raise Invalid(f"Không thấy thư mục sao lưu {path}.")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        inside = list_backups(path)
        if inside:
            raise Invalid(
                f"{path} chứa {len(inside)} bản sao lưu: hãy chỉ rõ một bản, ví dụ bản mới nhất {inside[-1]}."
            )
        raise Invalid(f"{path} không phải một bản sao lưu hoàn chỉnh: thiếu {MANIFEST}. Không khôi phục gì.")
    try:
        data = json.loads(manifest_path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid("Bản sao lưu bị hỏng: manifest.json không đọc được. Không khôi phục gì.") from error
    return Manifest.from_json(data)


def _damage(path: Path, manifest: Manifest) -> list[str]:
    problems: list[str] = []
    listed = {MANIFEST}
    for entry in manifest.files:
        file = _inside(path, entry.path)
        listed.add(entry.path)
        if file.is_symlink() or not file.is_file():
            problems.append(f"thiếu tệp {entry.path}")
            continue
        size, sha = _hash_file(file)
        if (size, sha) != (entry.size, entry.sha256):
            problems.append(f"tệp {entry.path} đã bị thay đổi (mã SHA-256 không khớp)")
    for file in _walk_files(path):
        relative = file.relative_to(path).as_posix()
        if relative not in listed:
            problems.append(f"tệp lạ {relative} không có trong manifest.json")
    return problems


def check_backup(path: Path) -> CheckedBackup:
    """Refuse a backup that is damaged (a file missing, changed or added), of another database kind
    than the configured one, or made by newer code (a migration revision this code does not know)."""
    manifest = _read_manifest(path)
    problems = _damage(path, manifest)
    if problems:
        more = f" (và {len(problems) - 10} lỗi khác)" if len(problems) > 10 else ""
        raise Invalid(f"Bản sao lưu bị hỏng, không khôi phục gì: {'; '.join(problems[:10])}{more}.")
    kind = database_kind()
    if manifest.database_kind != kind:
        raise Invalid(
            f"Bản sao lưu là cơ sở dữ liệu {KIND_LABELS[manifest.database_kind]} nhưng ứng dụng đang dùng "
            f"{KIND_LABELS[kind]} (DATABASE_URL). Không khôi phục gì."
        )
    scripts = migration_scripts()
    unknown = [rev for rev in manifest.alembic_revisions if not _known_revision(scripts, rev)]
    if unknown:
        raise Invalid(
            f"Bản sao lưu do phiên bản mới hơn của ứng dụng ({manifest.app_version}) tạo ra: mã nguồn này không "
            f"biết bản cập nhật cơ sở dữ liệu {', '.join(unknown)}. Hãy cập nhật mã nguồn rồi khôi phục lại. "
            "Không khôi phục gì."
        )
    return CheckedBackup(path, manifest, tuple(sorted(scripts.get_heads())))


def _known_revision(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        found = scripts.get_revision(revision)
    except (CommandError, RevisionError):
        return False
    return found is not None and found.revision == revision


def restore_backup(checked: CheckedBackup) -> Restored:
    """Put the checked backup's database and uploads in place of the configured ones, then upgrade
    the schema if the backup is older than the code. The app servers should be stopped."""
    manifest = checked.manifest
    db.session.remove()
    db.engine.dispose()  # no pooled connection holds the old file or a lock
    source = _inside(checked.path, manifest.database_file)
    if manifest.database_kind == "sqlite":
        _restore_sqlite(source)
    else:
        _restore_postgres(source)
    db.engine.dispose()
    written, kept, removed = _restore_uploads(checked.path, manifest)
    upgraded: tuple[str, ...] = ()
    if checked.needs_upgrade:
        upgrade(revision="heads")
        db.engine.dispose()
        upgraded = database_revisions()
    return Restored(written, kept, removed, upgraded)


def _restore_uploads(path: Path, manifest: Manifest) -> tuple[int, int, int]:
    """Make UPLOAD_DIR hold exactly the backup's files, in place (it may be a shared mount)."""
    root = upload_dir()
    root.mkdir(parents=True, exist_ok=True)
    wanted = {entry.path.removeprefix(f"{UPLOADS}/"): entry for entry in manifest.upload_files}
    written = kept = removed = 0
    for relative, entry in wanted.items():
        target = _inside(root, relative)
        if (
            not target.is_symlink()
            and target.is_file()
            and target.stat().st_size == entry.size
            and _hash_file(target)[1] == entry.sha256
        ):
            kept += 1
            continue
        partial = target.parent / f".{target.name}.restore-{secrets.token_hex(4)}"
        _size, sha = _copy_file(_inside(path, entry.path), partial)
        if sha != entry.sha256:
            partial.unlink()
            raise Invalid(f"Tệp {entry.path} của bản sao lưu vừa bị thay đổi trong lúc khôi phục.")
        os.replace(partial, target)
        written += 1
    for file in list(_walk_files(root)):
        if file.relative_to(root).as_posix() not in wanted:
            file.unlink()  # it belongs to rows the restored database does not have
            removed += 1
    for folder, _dirs, _files in sorted(os.walk(root), key=lambda item: len(item[0]), reverse=True):
        if Path(folder) != root and not os.listdir(folder):
            os.rmdir(folder)
    return written, kept, removed
