"""Serving a document's PDF over HTTP."""

from __future__ import annotations

from flask import Response, abort, make_response

from cohort.extensions import db
from cohort.invoices.pdf import PAPERS
from cohort.invoices.rendering import pdf_filename
from cohort.invoices.stored import pdf_of
from cohort.models import Document


def pdf_response(document: Document, paper: str) -> Response:
    """The stored PDF as a download named by its number (rendered and stored if not yet)."""
    if paper not in PAPERS:
        abort(400, description=f"Paper is one of {', '.join(PAPERS)}.")
    filename = pdf_filename(document)
    pdf = pdf_of(db.session, document, paper)
    if pdf.uncommitted:  # rendered just now and written in this request's transaction
        db.session.commit()
    response = make_response(pdf.data)
    response.set_etag(pdf.sha256)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
