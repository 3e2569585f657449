"""A trained model as a weights file the app reads back: numbers only, never a pickle.

The file is a numpy ``.npz`` (a zip of ``.npy`` arrays, written by ``numpy.savez``): one array per
tensor of the model (``Trainer.state_arrays()``: the networks and the data map), plus ``__header__``,
the UTF-8 bytes of a JSON header::

    {"kind": "generative-playground-model", "version": 1, "page": "gan", "family": "gan.plane.GanTrainer",
     "fingerprint": "…", "view": {…}, "config": {…}, "step": 1200, "elapsed": 3.4,
     "arrays": {"G.0.weight": {"shape": [64, 2], "dtype": "float32"}, …}, "sha256": "…"}

``fingerprint`` is what the trainer trained on (``ui.live_panel.fingerprint`` of its data and
settings), ``view`` the page's settings that differ from the defaults (a link's parameters, so the
page can put them back), ``config`` the trainer's config dataclasses, ``sha256`` a checksum over
every array's name, dtype, shape and bytes. :func:`loads` reads it with ``allow_pickle=False`` and
checks, in this order, that it is ours, not from a newer app, for this page and this family, not
damaged (zip CRCs, the checksum, the arrays listed in the header) and not too large; a refusal is a
:class:`ModelFileError` whose ``code`` names the catalogue message ``live.model_errors.<code>``.
Shapes are checked when the arrays are loaded (``Trainer.load_state_arrays``), config against the
trainer the page built.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

KIND = "generative-playground-model"
VERSION = 1
HEADER = "__header__"
MAX_BYTES = 20_000_000  # the largest live model (a token transformer) is well under 1 MB
SUFFIX = "npz"


class ModelFileError(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class ModelFile:
    header: dict[str, Any]
    arrays: dict[str, np.ndarray]

    @property
    def fingerprint(self) -> str:
        return str(self.header.get("fingerprint"))

    @property
    def view(self) -> dict[str, Any]:
        view = self.header.get("view")
        return view if isinstance(view, dict) else {}

    @property
    def step(self) -> int:
        return int(self.header.get("step") or 0)

    @property
    def elapsed(self) -> float:
        return float(self.header.get("elapsed") or 0.0)


def family_of(trainer: object) -> str:
    """The trainer's family and class, e.g. ``gan.plane.GanTrainer``: a file loads into the same kind only."""
    module = type(trainer).__module__.removeprefix("engine.families.")
    return f"{module}.{type(trainer).__name__}"


def checksum(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def dumps(trainer, *, page: str, fingerprint: str, view: dict[str, Any]) -> bytes:
    """The trainer's model as the bytes of a weights file (call it while holding the trainer)."""
    arrays = trainer.state_arrays()
    header = {"kind": KIND, "version": VERSION, "page": page, "family": family_of(trainer), "fingerprint": fingerprint,
              "view": view, "config": trainer.export_config(), "step": int(trainer.step_),
              "elapsed": round(float(trainer.elapsed_), 3),
              "arrays": {k: {"shape": list(v.shape), "dtype": v.dtype.str} for k, v in arrays.items()},
              "sha256": checksum(arrays)}
    text = json.dumps(header, ensure_ascii=False, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    out = io.BytesIO()
    np.savez(out, **{HEADER: np.frombuffer(text.encode("utf-8"), np.uint8)}, **arrays)
    return out.getvalue()


def loads(raw: bytes, *, page: str, family: str | None = None) -> ModelFile:
    """Read and check a weights file for ``page`` (and, when known, the trainer ``family``)."""
    if len(raw) > MAX_BYTES:
        raise ModelFileError("too_large", mb=MAX_BYTES // 1_000_000)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ModelFileError("damaged" if raw[:4] == b"PK\x03\x04" else "not_ours") from None  # a cut zip, or no zip
    names = [i.filename for i in infos]
    if f"{HEADER}.npy" not in names:
        raise ModelFileError("not_ours")
    if sum(i.file_size for i in infos) > 4 * MAX_BYTES:  # what it unpacks to, before unpacking it
        raise ModelFileError("too_large", mb=MAX_BYTES // 1_000_000)
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            header = json.loads(npz[HEADER].tobytes().decode("utf-8"))
            if not isinstance(header, dict) or header.get("kind") != KIND:
                raise ModelFileError("not_ours")
            if not isinstance(header.get("version"), int) or header["version"] > VERSION:
                raise ModelFileError("newer_version")
            if header.get("page") != page:
                raise ModelFileError("other_page", page=str(header.get("page"))[:40])
            if family is not None and header.get("family") != family:
                raise ModelFileError("other_model", found=str(header.get("family"))[:60])
            arrays = {n[:-4]: npz[n[:-4]] for n in names if n.endswith(".npy") and n != f"{HEADER}.npy"}
    except ModelFileError:
        raise
    except (ValueError, KeyError, OSError, EOFError, UnicodeDecodeError, zipfile.BadZipFile):  # a CRC, a truncated member, a pickle
        raise ModelFileError("damaged") from None
    listed = header.get("arrays")
    if not isinstance(listed, dict) or set(listed) != set(arrays) or header.get("sha256") != checksum(arrays):
        raise ModelFileError("damaged")
    if any(a.dtype.kind not in "fiub" for a in arrays.values()):
        raise ModelFileError("damaged")
    return ModelFile(header, arrays)
