"""The matrix history: every night's probes in SQLite, and availability computed from it.

One file (default ``reports/history.sqlite``) holds ``runs`` (one row per ``gatecheck
matrix`` run) and ``probes`` (one row per target x model x surface x mode). The schema is
versioned with ``PRAGMA user_version``: ``MIGRATIONS[i]`` takes a file from version ``i`` to
``i + 1``, so an old history is upgraded in place and a newer one is refused, never guessed at.

Availability of a model over the last N runs of its target counts the runs in which the
model was *up* (both the plain and the streamed probe answered ok), out of the runs in which
it was probed; a model added last night is 1/1, not 1/7. Time comes from an injectable
``clock`` so tests can play out a month of nights in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gatecheck import HarnessError, Redactor, UsageError, __version__, default_redactor
from gatecheck.matrix.probe import ProbeResult

__all__ = ["DEFAULT_DB", "MIGRATIONS", "History", "MatrixRow", "Status", "entry_status"]

DEFAULT_DB = Path("reports") / "history.sqlite"
Status = Literal["up", "degraded", "down"]
TREND_RUNS = 30

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: runs and probes.
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,          -- ISO 8601 UTC
        finished_at TEXT,
        label TEXT,                        -- e.g. "demo" or "nightly"
        gatecheck_version TEXT
    );
    CREATE TABLE probes (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        surface TEXT NOT NULL,
        mode TEXT NOT NULL,                -- plain | stream
        error_class TEXT NOT NULL,         -- ok | auth | not_found | ...
        http_status INTEGER,
        latency_ms REAL,
        ttft_ms REAL,
        sample TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, target, model, surface, mode)
    );
    CREATE INDEX probes_by_model ON probes (target, model, surface, run_id);
    """,
)


def entry_status(results: Sequence[ProbeResult]) -> Status:
    """up when every probe of the entry was ok, degraded when some were, down when none."""
    ok = sum(1 for r in results if r.ok)
    if results and ok == len(results):
        return "up"
    return "degraded" if ok else "down"


@dataclass(frozen=True, slots=True)
class Availability:
    """Runs up out of runs probed, within a window of the target's last runs."""

    up: int
    probed: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.up / self.probed if self.probed else None

    def __str__(self) -> str:
        percent = self.percent
        return "n/a" if percent is None else f"{percent:.0f}% ({self.up}/{self.probed})"


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One model's line in the matrix: now, its availability, and its recent trend."""

    target: str
    provider: str
    model: str
    surface: str
    status: Status
    probes: tuple[ProbeResult, ...]  # this run's, plain first
    last7: Availability
    last30: Availability
    trend: tuple[tuple[str, Status | None], ...]  # (run start, status), oldest first

    @property
    def latency_ms(self) -> float | None:
        """The plain probe's e2e (the stream's when the plain one has none)."""
        for mode in ("plain", "stream"):
            for result in self.probes:
                if result.mode == mode and result.latency_ms is not None:
                    return result.latency_ms
        return None

    @property
    def ttft_ms(self) -> float | None:
        return next((r.ttft_ms for r in self.probes if r.mode == "stream"), None)

    @property
    def sample(self) -> str:
        ok = [r.sample for r in self.probes if r.ok and r.sample]
        return ok[0] if ok else next((r.sample for r in self.probes if r.sample), "")

    @property
    def problem(self) -> str:
        """Why it is not up (the first failing probe), or ""."""
        bad = [r for r in self.probes if not r.ok]
        if not bad:
            return ""
        first = bad[0]
        code = f" {first.http_status}" if first.http_status else ""
        return f"{first.mode}: {first.error_class}{code}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class History:
    """The SQLite store. Open per operation: a night writes once and reads once."""

    def __init__(self, path: str | Path = DEFAULT_DB, *,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 redactor: Redactor | None = None) -> None:
        self.path = Path(path)
        self.clock = clock
        self.redactor = redactor or default_redactor()

    def _connect(self) -> sqlite3.Connection:
        if self.path.exists() and not self.path.is_file():
            raise UsageError(f"--db {self.path}: not a file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10.0)
        conn.execute("PRAGMA foreign_keys = ON")
        try:
            self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise UsageError(f"--db {self.path}: not a gatecheck history ({exc})") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def export(self, dest: Path, redact: Callable[[str], str]) -> None:
        """A copy of the history at ``dest`` with every text value passed through ``redact``
        (a published copy: the next run may carry on from it; no secret goes with it)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        with closing(self._connect()) as source, closing(sqlite3.connect(dest)) as copy:
            source.backup(copy)
            copy.create_function("gc_redact", 1, lambda v: redact(v) if isinstance(v, str)
                                 else v, deterministic=True)
            tables = [r[0] for r in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")]
            for table in tables:
                columns = [r[1] for r in copy.execute(f'PRAGMA table_info("{table}")')
                           if str(r[2]).upper() in ("TEXT", "")]
                for column in columns:
                    copy.execute(f'UPDATE "{table}" SET "{column}" = gc_redact("{column}")')
            copy.commit()
            copy.execute("VACUUM")  # no redacted value left in a free page

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise HarnessError(f"{self.path}: history schema {version} is newer than this "
                               f"gatecheck's ({len(MIGRATIONS)}); upgrade gatecheck")
        for number in range(version, len(MIGRATIONS)):
            # One transaction per step: a failed upgrade leaves the previous version intact.
            conn.executescript("BEGIN;" + MIGRATIONS[number]
                               + f";PRAGMA user_version = {number + 1};COMMIT;")

    @property
    def schema_version(self) -> int:
        with closing(self._connect()) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def record(self, results: Iterable[ProbeResult], *, started_at: dt.datetime | None = None,
               label: str | None = None) -> int:
        """Store one run's probes (redacted once more on the way in); returns the run id."""

        started = _iso(started_at or self.clock())
        clean = self.redactor.text
        with closing(self._connect()) as conn, conn:
            cursor = conn.execute(
                "INSERT INTO runs (started_at, finished_at, label, gatecheck_version) "
                "VALUES (?, ?, ?, ?)", (started, _iso(self.clock()), label, __version__))
            run_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT OR REPLACE INTO probes (run_id, target, provider, model, surface, mode,"
                " error_class, http_status, latency_ms, ttft_ms, sample, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, r.target, r.provider, r.model, r.surface, r.mode, r.error_class,
                  r.http_status, r.latency_ms, r.ttft_ms, clean(r.sample), clean(r.detail))
                 for r in results])
        return run_id

    def targets(self) -> list[str]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT DISTINCT target FROM probes ORDER BY target").fetchall()
        return [str(r[0]) for r in rows]

    def runs(self, target: str, limit: int = TREND_RUNS) -> list[tuple[int, str]]:
        """The target's last ``limit`` runs as (run id, start), newest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT DISTINCT r.id, r.started_at FROM runs r JOIN probes p ON p.run_id = r.id"
                " WHERE p.target = ? ORDER BY r.started_at DESC, r.id DESC LIMIT ?",
                (target, limit)).fetchall()
        return [(int(a), str(b)) for a, b in rows]

    def matrix(self, targets: Sequence[str] | None = None) -> list[MatrixRow]:
        """One row per model probed in its target's latest run, with availability and trend."""
        rows: list[MatrixRow] = []
        for target in targets if targets is not None else self.targets():
            runs = self.runs(target)
            if runs:
                rows.extend(self._target_rows(target, runs))
        return rows

    def _target_rows(self, target: str, runs: list[tuple[int, str]]) -> list[MatrixRow]:
        ids = [run_id for run_id, _ in runs]
        marks = ",".join("?" * len(ids))
        with closing(self._connect()) as conn:
            found = conn.execute(
                "SELECT run_id, target, provider, model, surface, mode, error_class, "
                f"http_status, latency_ms, ttft_ms, sample, detail FROM probes "
                f"WHERE target = ? AND run_id IN ({marks}) ORDER BY rowid",
                (target, *ids)).fetchall()
        by_run: dict[int, dict[tuple[str, str], list[ProbeResult]]] = {}
        for row in found:
            result = ProbeResult(target=row[1], provider=row[2], model=row[3], surface=row[4],
                                 mode=row[5], error_class=row[6], http_status=row[7],
                                 latency_ms=row[8], ttft_ms=row[9], sample=row[10],
                                 detail=row[11])
            by_run.setdefault(int(row[0]), {}).setdefault(
                (result.model, result.surface), []).append(result)
        latest = by_run.get(ids[0], {})
        out = []
        for key, probes in latest.items():
            statuses = [(start, entry_status(by_run[rid][key]) if key in by_run.get(rid, {})
                         else None) for rid, start in runs]
            ordered = tuple(sorted(probes, key=lambda r: r.mode != "plain"))
            out.append(MatrixRow(
                target=target, provider=probes[0].provider, model=key[0], surface=key[1],
                status=entry_status(probes), probes=ordered,
                last7=_availability(s for _, s in statuses[:7]),
                last30=_availability(s for _, s in statuses[:30]),
                trend=tuple(reversed(statuses))))
        return out


def _availability(statuses: Iterable[Status | None]) -> Availability:
    probed = [s for s in statuses if s is not None]
    return Availability(up=sum(1 for s in probed if s == "up"), probed=len(probed))
