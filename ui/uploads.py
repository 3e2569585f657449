"""File uploads that say, in the reader's language, why a file was refused, whatever refused it.

Streamlit's uploader refuses some files in the browser, before Python sees them: a file above
``server.maxUploadSize`` (25 MB here) or of a type it was not told to accept only gets a red mark on its
file chip, with an English tooltip ("File must be 25.0MB or smaller"). No script run follows, so any
message about the previous file would stay on screen next to it. :func:`uploader` puts a tiny watcher
next to the uploader: a component whose JavaScript looks at the files the reader picks or drops and, for
one that is too large or of the wrong type, asks for a run that shows the translated message instead.
Files within the server's limit still reach Python, where :func:`check_size` refuses an oversized one
from ``UploadedFile.size`` before anything reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from engine.core.errors import InputError

WATCH_JS = """
const watched = new WeakMap();
export default function (component) {
  const { parentElement, setTriggerValue } = component;
  let entry = watched.get(parentElement);
  if (!entry) {
    entry = { data: component.data };
    const inBox = (el) => el instanceof Element && el.closest(".st-key-" + entry.data.box) !== null;
    const check = (files) => {
      for (const f of files || []) {
        const dot = f.name.lastIndexOf(".");
        const ext = dot < 0 ? "" : f.name.slice(dot + 1).toLowerCase();
        const reason = f.size > entry.data.max_bytes ? "size" : (entry.data.types.includes(ext) ? null : "type");
        if (reason) { setTriggerValue("refused", { name: f.name, size: f.size, reason: reason }); return; }
      }
    };
    const onChange = (e) => { if (inBox(e.target) && e.target.files) check(e.target.files); };
    const onDrop = (e) => { if (inBox(e.target) && e.dataTransfer) check(e.dataTransfer.files); };
    document.addEventListener("change", onChange, true);
    document.addEventListener("drop", onDrop, true);
    entry.cleanup = () => {
      document.removeEventListener("change", onChange, true);
      document.removeEventListener("drop", onDrop, true);
      watched.delete(parentElement);
    };
    watched.set(parentElement, entry);
  }
  entry.data = component.data;
  return entry.cleanup;
}
"""

_watch = st.components.v2.component("generative_playground.upload_watch", js=WATCH_JS)


@dataclass(frozen=True)
class Refused:
    """A file the browser-side check refused: its name, size in bytes, and why ("size" or "type")."""

    name: str
    size: int
    reason: str


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse a file by its size alone (``UploadedFile.size``), before anything reads it."""
    if size > max_bytes:
        raise InputError("file_refused_size", name=name[:80], size_kb=-(-int(size) // 1000), max_kb=max_bytes // 1000)


def watch(box: str, max_bytes: int, types: list[str]) -> Refused | None:
    """Watch the uploader inside ``st.container(key=box)``; returns the refused file in the run it triggers.

    ``max_bytes`` is what the page's loader reads (below the server's limit): a larger file is refused
    at once, so the reader never waits for an upload that cannot be used.
    """
    result = _watch(key=f"{box}_watch", data={"box": box, "max_bytes": int(max_bytes), "types": list(types)},
                    on_refused_change=lambda: None, height=0)
    got = getattr(result, "refused", None)
    if not isinstance(got, dict):
        return None
    return Refused(str(got.get("name", ""))[:80], int(got.get("size", 0) or 0), str(got.get("reason", "")))


def refusal_error(refused: Refused, max_bytes: int, types: list[str]) -> InputError:
    """The InputError to show for a file the browser-side check refused."""
    if refused.reason == "size":
        return InputError("file_refused_size", name=refused.name, size_kb=-(-refused.size // 1000), max_kb=max_bytes // 1000)
    return InputError("file_type", name=refused.name, types=", ".join(f".{t}" for t in types))
