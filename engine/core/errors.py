"""Errors the user can fix, carried as a code plus parameters.

The engine never writes user-facing text: the UI turns ``InputError.code`` into a
sentence in the user's language (catalogue key ``errors.<code>``), filling in
``InputError.params``.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (a file, drawn data, a setting); ``code`` names the message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(f"{code}: {params}" if params else code)
        self.code = code
        self.params = params
