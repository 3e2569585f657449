"""Shared 2D datasets: the built-in generators, user points from strokes, and CSV in/out.

Every page that works in the plane takes its data from here, so a class can compare
models on exactly the same points. Built-in data lives roughly in [-2.5, 2.5]^2.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from engine.core.errors import InputError
from engine.core.rng import SeedLike, as_generator


@dataclass(frozen=True)
class Dataset:
    """Points ``X`` (n, 2) with integer labels ``y`` (n,) in 0..K-1."""

    X: np.ndarray
    y: np.ndarray
    name: str
    class_names: tuple[str, ...] = field(default=())

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.class_names else int(self.y.max(initial=-1)) + 1

    def __len__(self) -> int:
        return len(self.X)


@dataclass(frozen=True)
class DatasetSpec:
    default_noise: float
    max_noise: float
    default_n: int = 600


# name -> spec; the order is the order the UI offers them in.
BUILTIN: dict[str, DatasetSpec] = {
    "moons": DatasetSpec(0.15, 0.6),
    "circles": DatasetSpec(0.08, 0.4),
    "blobs": DatasetSpec(0.45, 1.2),
    "ring8": DatasetSpec(0.05, 0.5, 800),
    "swiss_roll": DatasetSpec(0.1, 0.5, 800),
    "spiral": DatasetSpec(0.1, 0.5),
    "checkerboard": DatasetSpec(0.0, 0.3, 800),
}

MAX_POINTS = 20_000
MAX_CLASSES = 8


def _split_counts(n: int, k: int) -> np.ndarray:
    counts = np.full(k, n // k)
    counts[: n % k] += 1
    return counts


def _moons(n, noise, rng):
    n_out, n_in = _split_counts(n, 2)
    t_out = rng.uniform(0, math.pi, n_out)
    t_in = rng.uniform(0, math.pi, n_in)
    outer = np.c_[np.cos(t_out), np.sin(t_out)]
    inner = np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]
    X = np.r_[outer, inner] - [0.5, 0.25]
    X = X * 1.6
    y = np.r_[np.zeros(n_out, int), np.ones(n_in, int)]
    return X, y


def _circles(n, noise, rng):
    n_out, n_in = _split_counts(n, 2)
    t_out = rng.uniform(0, 2 * math.pi, n_out)
    t_in = rng.uniform(0, 2 * math.pi, n_in)
    X = np.r_[2.0 * np.c_[np.cos(t_out), np.sin(t_out)], 1.0 * np.c_[np.cos(t_in), np.sin(t_in)]]
    y = np.r_[np.zeros(n_out, int), np.ones(n_in, int)]
    return X, y


def _blobs(n, noise, rng):
    centres = np.array([[-1.2, -1.0], [1.3, -0.6], [0.0, 1.3]])
    counts = _split_counts(n, 3)
    y = np.repeat(np.arange(3), counts)
    return centres[y], y  # the noise is the blobs' standard deviation


RING_RADIUS = 2.0


def ring8_centres(radius: float = RING_RADIUS) -> np.ndarray:
    """Centres of the 8-Gaussian ring, in mode order (label k sits at angle k·45°)."""
    angles = np.arange(8) * (2 * math.pi / 8)
    return radius * np.c_[np.cos(angles), np.sin(angles)]


def _ring8(n, noise, rng):
    y = rng.integers(0, 8, n)
    return ring8_centres()[y], y


def _swiss_roll(n, noise, rng):
    t = 1.5 * math.pi * (1 + 2 * rng.uniform(0, 1, n))
    X = np.c_[t * np.cos(t), t * np.sin(t)] / 6.0
    y = (t > 3 * math.pi).astype(int)  # inner half vs outer half of the roll
    return X, y


def _spiral(n, noise, rng):
    n0, n1 = _split_counts(n, 2)
    y = np.r_[np.zeros(n0, int), np.ones(n1, int)]
    r = np.sqrt(rng.uniform(0.02, 1, n)) * 2.2  # uniform density along the arm's area
    theta = r * 2.4 + y * math.pi
    X = np.c_[r * np.cos(theta), r * np.sin(theta)]
    return X, y


def _checkerboard(n, noise, rng):
    X = rng.uniform(-2, 2, (n, 2))
    y = ((np.floor(X[:, 0]) + np.floor(X[:, 1])) % 2).astype(int)
    return X, y


_GENERATORS = {
    "moons": _moons,
    "circles": _circles,
    "blobs": _blobs,
    "ring8": _ring8,
    "swiss_roll": _swiss_roll,
    "spiral": _spiral,
    "checkerboard": _checkerboard,
}


def make_dataset(name: str, n: int | None = None, noise: float | None = None, seed: SeedLike = 0) -> Dataset:
    """Draw ``n`` labelled points from a built-in dataset, with Gaussian noise of std ``noise``."""
    if name not in BUILTIN:
        raise InputError("unknown_dataset", name=name)
    spec = BUILTIN[name]
    n = spec.default_n if n is None else int(n)
    noise = spec.default_noise if noise is None else float(noise)
    if not 2 <= n <= MAX_POINTS:
        raise InputError("bad_point_count", n=n, min=2, max=MAX_POINTS)
    if not 0 <= noise <= spec.max_noise * 2 or not math.isfinite(noise):
        raise InputError("bad_noise", noise=noise)
    rng = as_generator(seed)
    X, y = _GENERATORS[name](n, noise, rng)
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(n)
    k = int(y.max()) + 1
    return Dataset(X[order].astype(float), y[order].astype(int), name, tuple(chr(ord("A") + i) for i in range(k)))


def train_test_split(ds: Dataset, test_fraction: float = 0.25, seed: SeedLike = 0,
                     min_train_per_class: int = 0) -> tuple[Dataset, Dataset]:
    """A seeded random split; each part keeps at least one point.

    ``min_train_per_class``: test points move back to training until every class has that many
    training points (or the test part would be empty). A page that needs k points per class to
    train declares k + 1 per class, and then every class gets its k whatever the seed.
    """
    n = len(ds)
    if n < 2:
        raise InputError("too_few_points", n=n, min=2)
    rng = as_generator(seed)
    order = rng.permutation(n)
    n_test = min(n - 1, max(1, round(n * test_fraction)))
    test, train = list(order[:n_test]), list(order[n_test:])
    if min_train_per_class > 0:
        y = np.asarray(ds.y)
        for c in np.unique(y):
            short = min_train_per_class - int((y[train] == c).sum())
            for i in [i for i in test if y[i] == c][:max(0, short)]:
                if len(test) == 1:
                    break
                test.remove(i)
                train.append(i)
    test, train = np.array(test, int), np.array(train, int)
    part = lambda idx: Dataset(ds.X[idx], ds.y[idx], ds.name, ds.class_names)  # noqa: E731
    return part(train), part(test)


def bounds(X: np.ndarray, margin: float = 0.15, min_span: float = 1.0) -> tuple[float, float, float, float]:
    """A square-ish plotting window around the points: (x_min, x_max, y_min, y_max)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    centre = (lo + hi) / 2
    half = max(min_span, float((hi - lo).max())) * (0.5 + margin)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def grid(box: tuple[float, float, float, float], resolution: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid axes and the (resolution², 2) points to evaluate a model on."""
    xs = np.linspace(box[0], box[1], resolution)
    ys = np.linspace(box[2], box[3], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xs, ys, np.c_[xx.ravel(), yy.ravel()]


# ---------------------------------------------------------------- user data

MAX_ABS = 1e6  # |coordinate| limit: beyond it the models' squared distances and variances lose all precision
MAX_CSV_BYTES = 2_000_000


@dataclass(frozen=True)
class DataNeeds:
    """What a page needs from the user's own points. The data picker checks it *before* it stores
    new points, so points a page cannot use are refused and the previous ones stay.

    ``check`` is an optional test of the page's model on the coordinates (raising :class:`InputError`),
    for needs that are not counts, such as "the points must not all lie on one line".
    """

    min_points: int = 2
    min_classes: int = 1
    min_per_class: int = 1
    max_abs: float = MAX_ABS
    check: Callable[[np.ndarray], object] | None = None


def check_points(ds: Dataset, needs: DataNeeds | None = None, *, min_points: int | None = None,
                 min_classes: int | None = None) -> Dataset:
    """Reject data that a page's models cannot learn from, with a message code the UI can translate.

    ``needs`` says what the page needs; ``min_points`` / ``min_classes`` override its counts.
    """
    needs = needs or DataNeeds()
    if min_points is not None or min_classes is not None:
        needs = replace(needs, min_points=needs.min_points if min_points is None else min_points,
                        min_classes=needs.min_classes if min_classes is None else min_classes)
    X = np.asarray(ds.X, float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise InputError("bad_columns", line=1, found=X.shape[-1] if X.ndim else 0)
    if len(X) < needs.min_points:
        raise InputError("too_few_points", n=len(X), min=needs.min_points)
    if len(X) > MAX_POINTS:
        raise InputError("too_many_rows", n=len(X), max=MAX_POINTS)
    if not np.isfinite(X).all():
        raise InputError("not_finite", line=int(np.argmin(np.isfinite(X).all(axis=1))) + 1)
    if np.abs(X).max(initial=0.0) > needs.max_abs:
        raise InputError("coordinates_too_large", value=float(np.abs(X).max()), max=float(needs.max_abs))
    if len(X) > 1 and len(np.unique(X, axis=0)) == 1:
        raise InputError("all_duplicates")
    y = np.asarray(ds.y, int)
    present, counts = np.unique(y, return_counts=True)
    if len(present) < needs.min_classes:
        if len(present) == 1:
            raise InputError("single_class", min=needs.min_classes)
        raise InputError("too_few_classes", n=len(present), min=needs.min_classes)
    if counts.min(initial=needs.min_per_class) < needs.min_per_class:
        smallest = int(np.argmin(counts))
        c = int(present[smallest])
        name = ds.class_names[c] if c < len(ds.class_names) else str(c)
        raise InputError("class_too_small", name=name, n=int(counts[smallest]), min=needs.min_per_class)
    if needs.check is not None:
        needs.check(X)
    return ds


def check_csv_size(n_bytes: int) -> None:
    """Refuse a CSV file by its size alone, before anything reads it."""
    if n_bytes > MAX_CSV_BYTES:
        raise InputError("file_too_large", size_kb=-(-n_bytes // 1000), max_kb=MAX_CSV_BYTES // 1000)


# Bytes no text file holds: NUL and the other C0 controls except tab, line feed and carriage return.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A cell a spreadsheet would run as a formula (OWASP's CSV-injection list), after any apostrophes
# that already protect one. Neutralised on writing by one more leading apostrophe, removed on reading.
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_PROTECTED = re.compile(r"^'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
DELIMITERS = (",", ";", "\t")  # in order of preference when a file reads equally well with several


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _split(line: str, delimiter: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]


def _loose_number(cell: str, delimiter: str) -> bool:
    """Could this cell be a coordinate in a file with this delimiter? A file separated by ";" or tab
    (a spreadsheet in a language that writes 1,5) may use a decimal comma."""
    if delimiter != "," and cell.count(",") == 1 and "." not in cell:
        cell = cell.replace(",", ".")
    return _is_number(cell)


def _is_header(cells: list[str], delimiter: str) -> bool:
    return not any(_loose_number(c, delimiter) for c in cells)


def _sniff(lines: list[tuple[int, str]]) -> str:
    """The delimiter under which the most rows read as ``x, y[, label]`` with numeric x and y.

    "1,5" in a comma-separated file is two numbers, 1 and 5, never one and a half: only files
    whose rows do not read under "," are tried with ";" (and then decimal commas) or tabs.
    """
    best, best_score = ",", -1
    for delimiter in DELIMITERS:
        rows = [_split(line, delimiter) for _, line in lines[:200]]
        if rows and _is_header(rows[0], delimiter):
            rows = rows[1:]
        score = sum(len(r) in (2, 3) and _loose_number(r[0], delimiter) and _loose_number(r[1], delimiter) for r in rows)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unprotect(label: str) -> str:
    return label[1:] if _PROTECTED.match(label) else label


def parse_csv(data: bytes, name: str = "uploaded") -> Dataset:
    """Read ``x,y[,label]`` rows (an optional header line is skipped) into a Dataset.

    The separator may be "," (x and y with a decimal point), or ";" or a tab, as spreadsheets write
    in languages with a decimal comma ("1,5;2,25;A" is x = 1.5, y = 2.25). Labels may be numbers or
    words; they become classes 0..K-1 in sorted order. A label that :func:`to_csv` protected from
    spreadsheets ("'=SUM(1)") reads back as it was ("=SUM(1)"). Every kind of bad file raises
    :class:`InputError` with its own code.
    """
    if not data or not data.strip():
        raise InputError("file_empty")
    check_csv_size(len(data))
    if _BINARY.search(data):
        raise InputError("file_binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("file_not_utf8") from None
    lines = [(i + 1, ln.strip()) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    delimiter = _sniff(lines)
    if lines and _is_header(_split(lines[0][1], delimiter), delimiter):
        lines = lines[1:]  # a header such as "x,y,label"
    if not lines:
        raise InputError("file_empty")
    if len(lines) > MAX_POINTS:
        raise InputError("too_many_rows", n=len(lines), max=MAX_POINTS)
    rows = []
    for line_no, line in lines:
        cells = _split(line, delimiter)
        if len(cells) not in (2, 3) or (rows and len(cells) != len(rows[0][1])):
            raise InputError("bad_columns", line=line_no, found=len(cells))
        rows.append((line_no, cells))
    # A decimal comma is read only in files separated by ";" or tabs, and then for the whole file.
    comma = delimiter != "," and any("," in c for _, cells in rows for c in cells[:2])
    coords, labels = [], []
    for line_no, cells in rows:
        xy = []
        for cell in cells[:2]:
            if comma and "." in cell and _is_number(cell.replace(",", "")):
                raise InputError("decimal_mix", line=line_no, value=cell[:20])
            try:
                xy.append(float(cell.replace(",", ".") if comma else cell))
            except ValueError:
                raise InputError("not_numeric", line=line_no, value=cell[:20]) from None
        if not all(math.isfinite(v) for v in xy):
            raise InputError("not_finite", line=line_no)
        big = [c for c, v in zip(cells, xy) if abs(v) > MAX_ABS]
        if big:
            raise InputError("coordinate_too_large", line=line_no, value=big[0][:20], max=MAX_ABS)
        if len(cells) == 3 and not cells[2]:
            raise InputError("not_numeric", line=line_no, value="")
        coords.append(xy)
        labels.append(_unprotect(cells[2]) if len(cells) == 3 else "A")
    names = sorted(set(labels), key=lambda s: (not _is_number(s), float(s) if _is_number(s) else 0.0, s))
    if len(names) > MAX_CLASSES:
        raise InputError("too_many_classes", n=len(names), max=MAX_CLASSES)
    index = {s: i for i, s in enumerate(names)}
    ds = Dataset(np.array(coords, float), np.array([index[s] for s in labels], int), name, tuple(names))
    return check_points(ds, min_points=2)


def _csv_cell(value: str) -> str:
    """One label cell: a formula-like label gets a leading apostrophe, so a spreadsheet shows it as text
    (OWASP's advice against CSV injection); plain numbers such as -1 stay numbers. Line breaks become
    spaces. Cells holding a separator, a quote, a tab, an apostrophe or outer spaces are quoted."""
    value = value.replace("\r", " ").replace("\n", " ")  # a row is one line
    if _FORMULA.match(value) and not _PLAIN_NUMBER.match(value):
        value = "'" + value
    if value != value.strip() or any(c in value for c in ",;\"'\t"):
        value = '"' + value.replace('"', '""') + '"'
    return value


def to_csv(ds: Dataset) -> str:
    """The inverse of :func:`parse_csv`: a header and one ``x,y,label`` row per point. Coordinates are
    written exactly (the shortest text that reads back as the same float)."""
    names = ds.class_names or tuple(str(i) for i in range(ds.n_classes))
    cells = [_csv_cell(str(n)) for n in names]
    rows = ["x,y,label"] + [f"{float(x)!r},{float(y)!r},{cells[c]}" for (x, y), c in zip(ds.X, ds.y)]
    return "\n".join(rows) + "\n"


def points_from_strokes(
    strokes: list[tuple[int, list[tuple[float, float]]]],
    canvas_size: tuple[int, int],
    box: tuple[float, float, float, float] = (-2.5, 2.5, -2.5, 2.5),
    spacing: float = 0.12,
    seed: SeedLike = 0,
) -> Dataset:
    """Turn drawn strokes, each ``(class, [(px, py), ...])`` in canvas pixels, into points.

    Pixel y grows downwards; data y grows upwards. Points are laid along each stroke
    every ``spacing`` data units with a little jitter, so a quick scribble gives a cloud.
    """
    rng = as_generator(seed)
    width, height = canvas_size
    pts, labels = [], []
    for cls, path in strokes:
        if not path:
            continue
        p = np.asarray(path, float)
        data = np.c_[box[0] + p[:, 0] / width * (box[1] - box[0]), box[3] - p[:, 1] / height * (box[3] - box[2])]
        if len(data) == 1:
            pieces = [data]
        else:
            pieces = []
            for a, b in zip(data[:-1], data[1:]):
                k = max(1, int(np.linalg.norm(b - a) / spacing))
                pieces.append(a + np.linspace(0, 1, k, endpoint=False)[:, None] * (b - a))
            pieces.append(data[-1:])
        stroke_pts = np.concatenate(pieces)
        stroke_pts = stroke_pts + rng.normal(0, spacing / 3, stroke_pts.shape)
        pts.append(stroke_pts)
        labels.append(np.full(len(stroke_pts), int(cls)))
    if not pts:
        raise InputError("nothing_drawn")
    X = np.concatenate(pts)
    y_raw = np.concatenate(labels)
    used = np.unique(y_raw)
    y = np.searchsorted(used, y_raw)
    names = tuple(chr(ord("A") + int(c)) for c in used)
    return check_points(Dataset(X, y, "drawn", names), min_points=2)
