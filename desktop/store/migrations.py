"""Append-only schema history. Never edit a migration that has shipped: add mNNN_verb_noun instead."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("tokenmirror")


def _run(db: Database, script: str) -> None:
    """Statement by statement: executescript() would COMMIT and break the migration's transaction."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            db.execute(pending)
            pending = ""
    if pending.strip():
        db.execute(pending)


@migrations()
def m001_create_archive(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE source_file (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            path TEXT NOT NULL UNIQUE,
            dev INTEGER, inode INTEGER, size INTEGER NOT NULL DEFAULT 0, mtime_ns INTEGER,
            cursor INTEGER NOT NULL DEFAULT 0,          -- byte just after the last complete line read
            head_len INTEGER NOT NULL DEFAULT 0,        -- bytes covered by head_hash
            head_hash TEXT,                             -- detects a file replaced under the same name
            lines_read INTEGER NOT NULL DEFAULT 0,
            lines_skipped INTEGER NOT NULL DEFAULT 0,
            bad_lines TEXT NOT NULL DEFAULT '[]',       -- first few bad line numbers, for doctor
            parser_state TEXT NOT NULL DEFAULT '{}',    -- what a resumed parse must remember
            rereads INTEGER NOT NULL DEFAULT 0,
            first_seen_ms INTEGER, last_read_ms INTEGER,
            missing INTEGER NOT NULL DEFAULT 0          -- the assistant deleted it; our rows stay
        );
        CREATE TABLE usage_event (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            dedup_key TEXT NOT NULL,
            alt_key TEXT,
            ts_ms INTEGER NOT NULL,
            granularity TEXT NOT NULL DEFAULT 'call',
            session_id TEXT, parent_session_id TEXT, agent TEXT,
            is_sidechain INTEGER NOT NULL DEFAULT 0,
            project_path TEXT, git_branch TEXT, client_version TEXT,
            provider TEXT, model TEXT,
            model_is_fallback INTEGER NOT NULL DEFAULT 0,
            input_uncached INTEGER NOT NULL DEFAULT 0,
            cache_read INTEGER NOT NULL DEFAULT 0,
            cache_write_5m INTEGER NOT NULL DEFAULT 0,
            cache_write_1h INTEGER NOT NULL DEFAULT 0,
            output INTEGER NOT NULL DEFAULT 0,
            reasoning INTEGER NOT NULL DEFAULT 0,
            reasoning_in_output INTEGER NOT NULL DEFAULT 1,
            is_estimate INTEGER NOT NULL DEFAULT 0,
            speed TEXT,
            stored_cost REAL, stored_cost_unit TEXT,
            computed_cost_usd REAL, computed_cost_bill_usd REAL,
            price_status TEXT, pricing_version TEXT,
            source_file_id INTEGER REFERENCES source_file(id) ON DELETE SET NULL,
            raw_offset INTEGER,
            UNIQUE (source, dedup_key)
        );
        CREATE INDEX usage_event_ts ON usage_event (ts_ms);
        CREATE INDEX usage_event_alt ON usage_event (source, alt_key) WHERE alt_key IS NOT NULL;
        CREATE INDEX usage_event_session ON usage_event (source, session_id);
        CREATE TABLE session (
            source TEXT NOT NULL,
            session_id TEXT NOT NULL,
            project_path TEXT, git_branch TEXT, parent_session_id TEXT,
            entrypoint TEXT, is_headless INTEGER NOT NULL DEFAULT 0, client_version TEXT,
            first_ts_ms INTEGER, last_ts_ms INTEGER,
            PRIMARY KEY (source, session_id)
        );
        CREATE TABLE prompt (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL, prompt_key TEXT NOT NULL,
            session_id TEXT, ts_ms INTEGER NOT NULL,
            text_hash TEXT NOT NULL, length INTEGER NOT NULL, excerpt TEXT,
            UNIQUE (source, prompt_key)
        );
        CREATE INDEX prompt_session ON prompt (source, session_id);
        CREATE TABLE tool_call (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL, call_key TEXT NOT NULL,
            session_id TEXT, ts_ms INTEGER NOT NULL,
            name TEXT NOT NULL, args_hash TEXT NOT NULL, file_path TEXT,
            is_error INTEGER NOT NULL DEFAULT 0,
            UNIQUE (source, call_key)
        );
        CREATE INDEX tool_call_session ON tool_call (source, session_id);
        CREATE TABLE project (
            id INTEGER PRIMARY KEY,
            root_path TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            excluded INTEGER NOT NULL DEFAULT 0,
            added_by_user INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE setting (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL                         -- JSON
        );
        """
    )


@migrations()
def m002_create_commits(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE repo_state (
            project_id INTEGER PRIMARY KEY REFERENCES project(id) ON DELETE CASCADE,
            git_dir TEXT,                               -- the common git dir: worktrees share it
            heads TEXT NOT NULL DEFAULT '[]',           -- JSON: branch tips (and HEAD) read last time
            status TEXT NOT NULL DEFAULT 'new',         -- new | ok | missing | error
            message TEXT,                               -- why status is not ok, for the user
            emails TEXT NOT NULL DEFAULT '[]',          -- JSON: this repository's own user.email
            last_read_ms INTEGER
        );
        CREATE TABLE "commit" (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
            sha TEXT NOT NULL,
            author_name TEXT, author_email TEXT,
            author_ts_ms INTEGER NOT NULL,
            committer_ts_ms INTEGER NOT NULL,
            is_merge INTEGER NOT NULL DEFAULT 0,
            insertions INTEGER NOT NULL DEFAULT 0,
            deletions INTEGER NOT NULL DEFAULT 0,
            files_changed INTEGER NOT NULL DEFAULT 0,
            subject TEXT,
            ai_tools TEXT,                              -- comma list such as 'claude,copilot'; NULL when none
            is_mine INTEGER NOT NULL DEFAULT 0,
            UNIQUE (project_id, sha)
        );
        CREATE INDEX commit_project_ts ON "commit" (project_id, author_ts_ms);
        CREATE INDEX commit_ts ON "commit" (author_ts_ms);
        CREATE INDEX commit_sha ON "commit" (sha);          -- one commit seen in two clones counts once
        CREATE TABLE commit_file (
            commit_id INTEGER NOT NULL REFERENCES "commit"(id) ON DELETE CASCADE,
            path TEXT NOT NULL,                         -- relative to the repository root, '/' separated
            insertions INTEGER, deletions INTEGER       -- NULL for binary files
        );
        CREATE INDEX commit_file_commit ON commit_file (commit_id);
        CREATE TABLE session_commit (
            source TEXT NOT NULL,
            session_id TEXT NOT NULL,
            commit_id INTEGER NOT NULL REFERENCES "commit"(id) ON DELETE CASCADE,
            method TEXT NOT NULL CHECK (method IN ('strong', 'weak')),
            overlap_files INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (source, session_id, commit_id)
        );
        CREATE INDEX session_commit_commit ON session_commit (commit_id);
        CREATE TABLE project_cwd (
            cwd TEXT PRIMARY KEY,                       -- a working directory as the logs wrote it
            project_id INTEGER REFERENCES project(id) ON DELETE SET NULL,  -- NULL: not in a repository
            toplevel TEXT,                              -- the work tree holding cwd (a worktree's own root)
            checked_ms INTEGER NOT NULL
        );
        CREATE INDEX project_cwd_project ON project_cwd (project_id);
        CREATE TABLE commit_sync (
            key TEXT PRIMARY KEY,                       -- high-water marks of the last relink
            value INTEGER NOT NULL
        );
        """
    )


@migrations()
def m003_create_findings(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE finding (
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL UNIQUE,           -- detector + subject (+ its day or week): the same on a rerun
            detector TEXT NOT NULL,
            period_start TEXT NOT NULL,                 -- local dates, ISO
            period_end TEXT NOT NULL,
            subject_kind TEXT NOT NULL,                 -- session | project_day | prompt_pattern | week | model
            subject TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('info', 'warn', 'high')),
            tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,                              -- NULL when nothing involved is priced
            avoidable_usd REAL,                         -- what a better habit would have saved, when estimable
            summary TEXT NOT NULL,
            evidence TEXT NOT NULL DEFAULT '[]',        -- JSON list of objects naming sessions, prompts, commits
            cannot_tell TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'seen', 'dismissed')),
            active INTEGER NOT NULL DEFAULT 1,          -- 0: a later run over its period no longer found it
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            notified_ms INTEGER                         -- NULL: never notified
        );
        CREATE INDEX finding_period ON finding (period_start, period_end);
        CREATE INDEX finding_detector ON finding (detector);
        CREATE TABLE detector_snooze (
            detector TEXT PRIMARY KEY,
            until_ms INTEGER NOT NULL
        );
        CREATE TABLE finding_digest (
            week_start TEXT PRIMARY KEY,                -- local date the digested week starts on
            notified_ms INTEGER NOT NULL
        );
        """
    )


@migrations()
def m004_create_surface_precedence(db: Database) -> None:
    """When one assistant leaves the same usage on two surfaces in different files, which row stands
    (LOG-FORMATS §2.1: never add two surfaces of one tool). Parsers see one file at a time, so the
    archive decides, whatever order the files are read in:

    - Cursor: rows imported from the dashboard CSV replace the local lower bound (`is_estimate = 1`)
      for the CSV's span; a later scan of `state.vscdb` adds nothing inside an imported span.
    - Kiro IDE: a `.chat` snapshot names the execution it belongs to in `alt_key`; while that
      execution's row (`dedup_key = alt_key`) exists, the snapshot has no row.
    - Aider: a `.aider.chat.history.md` session (estimates, dated by its header) is covered by an
      analytics-log run that was launched within 5 s before to 300 s after that header; the run's
      measured rows stand for the same exchanges and the estimates go.
    """
    _run(
        db,
        """
        CREATE TABLE cursor_csv_import (
            id INTEGER PRIMARY KEY,
            file_sha256 TEXT NOT NULL UNIQUE,           -- the same file imported again adds nothing
            file_name TEXT NOT NULL,
            first_ms INTEGER NOT NULL,                  -- the span its rows cover (inclusive)
            last_ms INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            imported_ms INTEGER NOT NULL
        );
        CREATE INDEX cursor_csv_import_span ON cursor_csv_import (first_ms, last_ms);
        CREATE TRIGGER cursor_local_inside_import AFTER INSERT ON usage_event
        WHEN NEW.source = 'cursor' AND NEW.is_estimate = 1 AND EXISTS (
            SELECT 1 FROM cursor_csv_import i WHERE NEW.ts_ms BETWEEN i.first_ms AND i.last_ms)
        BEGIN
            DELETE FROM usage_event WHERE id = NEW.id;
        END;
        CREATE TRIGGER cursor_local_moved_inside_import AFTER UPDATE OF ts_ms ON usage_event
        WHEN NEW.source = 'cursor' AND NEW.is_estimate = 1 AND EXISTS (
            SELECT 1 FROM cursor_csv_import i WHERE NEW.ts_ms BETWEEN i.first_ms AND i.last_ms)
        BEGIN
            DELETE FROM usage_event WHERE id = NEW.id;
        END;
        CREATE TRIGGER kiro_snapshot_covered AFTER INSERT ON usage_event
        WHEN NEW.source = 'kiro' AND NEW.alt_key IS NOT NULL AND EXISTS (
            SELECT 1 FROM usage_event e WHERE e.source = 'kiro' AND e.dedup_key = NEW.alt_key)
        BEGIN
            DELETE FROM usage_event WHERE id = NEW.id;
        END;
        CREATE TRIGGER kiro_execution_covers AFTER INSERT ON usage_event
        WHEN NEW.source = 'kiro' AND NEW.dedup_key LIKE 'execution:%'
        BEGIN
            DELETE FROM usage_event WHERE source = 'kiro' AND alt_key = NEW.dedup_key;
        END;
        CREATE TRIGGER aider_history_covered AFTER INSERT ON usage_event
        WHEN NEW.source = 'aider' AND NEW.is_estimate = 1 AND EXISTS (
            SELECT 1 FROM session s WHERE s.source = 'aider' AND s.session_id LIKE 'log:%'
            AND s.first_ts_ms BETWEEN NEW.ts_ms - 5000 AND NEW.ts_ms + 300000)
        BEGIN
            DELETE FROM usage_event WHERE id = NEW.id;
        END;
        CREATE TRIGGER aider_run_covers_history AFTER INSERT ON session
        WHEN NEW.source = 'aider' AND NEW.session_id LIKE 'log:%'
        BEGIN
            DELETE FROM usage_event WHERE source = 'aider' AND is_estimate = 1
            AND ts_ms BETWEEN NEW.first_ts_ms - 300000 AND NEW.first_ts_ms + 5000;
        END;
        """
    )
