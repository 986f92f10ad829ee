"""Signing keys: a new PEM private key written to the key directory, readable by its owner only."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..crypto.jwt import SigningKeyError, generate_pem, load_key
from .errors import Conflict, Invalid


@dataclass(frozen=True)
class GeneratedKey:
    kid: str
    path: Path


def generate_signing_key(directory: Path, kid: str | None, algorithm: str) -> GeneratedKey:
    """Write ``<kid>.pem`` (a new random kid unless given) into ``directory``; never overwrite."""
    directory.mkdir(parents=True, exist_ok=True)
    kid = kid or f"{algorithm.lower()}-{secrets.token_hex(4)}"
    path = directory / f"{kid}.pem"
    if path.exists():
        raise Conflict(f"{path} exists")
    pem = generate_pem(algorithm)
    try:
        load_key(kid, pem, algorithm)  # validates the kid and the key
    except SigningKeyError as exc:
        raise Invalid(str(exc)) from exc
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return GeneratedKey(kid, path)
