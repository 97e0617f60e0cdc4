"""Cheap up-to-date checks for the reference generators, done before importing torch (which
takes seconds): a stamp file holds a hash of the generator's source files and of the pinned
requirement files (the pins fix every library version)."""

import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = [os.path.join(HERE, "requirements.txt"), os.path.join(HERE, "requirements-nodeps.txt")]


def files_hash(paths):
    """sha256 (16 hex digits) over the contents of `paths` and the requirement files."""
    h = hashlib.sha256()
    for path in list(paths) + REQUIREMENTS:
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def up_to_date(stamp_path, digest, outputs):
    """True when `stamp_path` holds `digest` and every path in `outputs` exists."""
    if not os.path.exists(stamp_path):
        return False
    with open(stamp_path) as f:
        if f.read().strip() != digest:
            return False
    return all(os.path.exists(p) for p in outputs)
