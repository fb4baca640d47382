"""The canonical bytes a witness statement's SHA-256 is computed over (hash version 1)."""

from __future__ import annotations

import hashlib

from showcase.witnesses.services import (
    canonical_statement,
    declaration_for,
    normalise_text,
    statement_sha256,
)


def test_canonical_form_is_header_file_digest_then_text() -> None:
    digest = "ab" * 32
    assert canonical_statement("Saw it.\nTwice.", digest) == (
        b"showcase-witness-statement-v1\nfile-sha256:" + digest.encode() + b"\nSaw it.\nTwice."
    )
    assert canonical_statement("Café", None) == (
        b"showcase-witness-statement-v1\nfile-sha256:none\n" + "Café".encode()
    )


def test_the_hash_changes_with_any_byte_of_text_or_file() -> None:
    base = statement_sha256("She calmed the customer.", None)
    assert base == hashlib.sha256(canonical_statement("She calmed the customer.", None)).hexdigest()
    assert statement_sha256("She calmed the customer!", None) != base
    assert statement_sha256("She calmed the customer.", "00" * 32) != base
    assert statement_sha256("She calmed the customer.", "00" * 31 + "01") != statement_sha256(
        "She calmed the customer.", "00" * 32
    )


def test_text_is_normalised_before_hashing() -> None:
    # Browsers send a textarea's line breaks as CRLF; the stored and hashed text uses LF, NFC.
    assert normalise_text("  One\r\nTwo\rThree  \n") == "One\nTwo\nThree"
    assert normalise_text("Cafe\u0301") == "Caf\u00e9"
    assert normalise_text(None) == ""


def test_the_declaration_names_the_apprentice() -> None:
    words = declaration_for("Amira Khan")
    assert "Amira Khan's work" in words and "true to the best of my knowledge" in words
