"""``werkzeug.formparser``: erlen.formparser does the parsing."""

from __future__ import annotations

from erlen.formparser import parse_form_data as parse_form_data

__all__ = ["parse_form_data"]
