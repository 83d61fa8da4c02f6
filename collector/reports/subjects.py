"""What an exported row is about, in words a person recognises: the same labels the web pages
use (``collector.queries.subjects``), flattened to one line for a CSV cell or a PDF column."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from collector.queries.subjects import describe_subjects

__all__ = ["subject_words"]


def subject_words(session: Session, subjects: Iterable[tuple[str | None, int | None]]) -> dict:
    """``{(subject_type, subject_id): words}`` for the assets and devices among ``subjects``
    (one query per kind per chunk of rows)."""
    refs = [(kind, ident) for kind, ident in subjects if kind in ("asset", "device") and ident is not None]
    return {ref: label.text for ref, label in describe_subjects(session, refs).items()}
