"""Serving a document's PDF over HTTP."""

from __future__ import annotations

from flask import Response, abort, make_response

from cohort.extensions import db
from cohort.invoices.pdf import PAPERS
from cohort.invoices.rendering import document_pdf, pdf_filename
from cohort.models import Document


def pdf_response(document: Document, paper: str) -> Response:
    """The PDF as a download named by its number."""
    if paper not in PAPERS:
        abort(400, description=f"Paper is one of {', '.join(PAPERS)}.")
    response = make_response(document_pdf(db.session, document, paper))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{pdf_filename(document)}"'
    return response
