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
