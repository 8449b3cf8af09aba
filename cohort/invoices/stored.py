"""Issued documents' PDFs, rendered once per paper size and stored with their SHA-256.

An issued document never changes, so neither does its PDF: the worker renders and stores both
paper sizes soon after a document is issued (`store_missing`), and downloads, e-mail
attachments and exports read the stored bytes. A PDF not stored yet is rendered by whoever
first needs it and stored then; when two do so at once, the first stored file wins and both
serve it. The store is a short transaction of its own on its own connection, unless the
caller's session holds SQLite's write lock already: then it is written in the caller's
transaction, which the caller commits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy import Insert, func, or_, select
from sqlalchemy.orm import Session

from cohort.clock import now
from cohort.database import holds_write_lock, read_only, writing
from cohort.invoices.pdf import PAPERS
from cohort.invoices.rendering import document_pdf, pdf_filename
from cohort.models import Document, DocumentFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredPdf:
    """A stored PDF: its bytes and their SHA-256 (hex); `uncommitted` when it was written in
    the caller's transaction just now (the caller commits to keep it)."""

    data: bytes
    sha256: str
    uncommitted: bool = False


def stored_pdf(session: Session, document_id: int, paper: str) -> StoredPdf | None:
    """The stored PDF of a document on `paper`, or None if it has not been stored yet."""
    row = session.execute(
        select(DocumentFile.pdf, DocumentFile.sha256)
        .where(DocumentFile.document_id == document_id, DocumentFile.paper == paper)
    ).one_or_none()
    return None if row is None else StoredPdf(row.pdf, row.sha256)


def _insert_once(dialect: str) -> Insert:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(DocumentFile).on_conflict_do_nothing(index_elements=["document_id", "paper"])


def render_and_store(session: Session, document: Document, paper: str) -> StoredPdf:
    """Render the document's PDF on `paper` and store it unless someone stored it first.

    Returns what is stored (the first writer's file, if two rendered at once).
    """
    data = document_pdf(session, document, paper)
    values = {"document_id": document.id, "paper": paper, "created_at": now(),
              "sha256": hashlib.sha256(data).hexdigest(), "pdf": data}
    stored = (select(DocumentFile.pdf, DocumentFile.sha256)
              .where(DocumentFile.document_id == document.id, DocumentFile.paper == paper))
    if holds_write_lock(session):  # SQLite, the caller writing already: store in its transaction
        session.execute(_insert_once(session.get_bind().dialect.name).values(**values))
        row = session.execute(stored).one()
        return StoredPdf(row.pdf, row.sha256, uncommitted=True)
    with writing(), session.get_bind().connect() as connection:
        connection.execute(_insert_once(connection.dialect.name).values(**values))
        row = connection.execute(stored).one()
        connection.commit()
    return StoredPdf(row.pdf, row.sha256)


def pdf_of(session: Session, document: Document, paper: str = "A4") -> StoredPdf:
    """The document's PDF on `paper`: stored bytes, rendered and stored first if need be."""
    return stored_pdf(session, document.id, paper) or render_and_store(session, document, paper)


def attachment(session: Session, document_id: int) -> tuple[str, bytes]:
    """An issued document as an e-mail attachment: (file name, stored A4 PDF)."""
    document = session.get(Document, document_id)
    if document is None:
        raise LookupError(f"document {document_id} does not exist")
    return pdf_filename(document), pdf_of(session, document).data


#: Ids this far below the newest are looked at again (a transaction that took a lower id may
#: commit after one that took a higher id).
RECHECK_MARGIN = 1000


@dataclass
class Backlog:
    """What a worker remembers between rounds, so a round does not look at every document."""

    failed: set[int] = field(default_factory=set)  # failed to render: skipped until restart
    stored_through: int = 0  # every document with an id up to this had its files


def documents_without_files(session: Session, limit: int, skip: Collection[int] = (),
                            after: int = 0) -> list[int]:
    """Ids (above `after`) of documents lacking a stored PDF on some paper size, oldest first."""
    lacking = or_(*(
        ~select(DocumentFile.document_id)
        .where(DocumentFile.document_id == Document.id, DocumentFile.paper == paper).exists()
        for paper in PAPERS))
    query = (select(Document.id).where(Document.id > after, lacking).order_by(Document.id)
             .limit(limit))
    if skip:
        query = query.where(Document.id.not_in(list(skip)))
    return list(session.scalars(query))


def store_missing(session: Session, *, limit: int = 10, backlog: Backlog | None = None,
                  should_stop: Callable[[], bool] | None = None) -> int:
    """Render and store what up to `limit` documents lack; the number of files stored.

    A document that fails to render is logged and remembered in `backlog` (skipped next time).
    """
    backlog = backlog if backlog is not None else Backlog()
    stored = 0
    with read_only():
        missing = documents_without_files(session, limit, backlog.failed, backlog.stored_through)
        if not missing:
            newest = session.scalar(select(func.max(Document.id))) or 0
            backlog.stored_through = max(backlog.stored_through, newest - RECHECK_MARGIN)
        for document_id in missing:
            if should_stop is not None and should_stop():
                break
            document = session.get(Document, document_id)
            assert document is not None
            have = set(session.scalars(select(DocumentFile.paper)
                                       .where(DocumentFile.document_id == document_id)))
            try:
                for paper in PAPERS:
                    if paper not in have:
                        render_and_store(session, document, paper)
                        stored += 1
            except Exception:
                logger.exception("could not render document %s; it is skipped", document_id)
                backlog.failed.add(document_id)
        session.commit()  # ends the read (and keeps any file written in this transaction)
    return stored
