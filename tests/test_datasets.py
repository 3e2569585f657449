"""The shared 2D datasets and the CSV loader: shapes, seeds, and every bad input."""

import numpy as np
import pytest

from engine.core.errors import InputError
from engine.data import points


@pytest.mark.parametrize("name", list(points.BUILTIN))
def test_builtin_shapes_and_seeds(name):
    a = points.make_dataset(name, 300, None, seed=7)
    b = points.make_dataset(name, 300, None, seed=7)
    c = points.make_dataset(name, 300, None, seed=8)
    assert a.X.shape == (300, 2) and a.y.shape == (300,)
    assert np.isfinite(a.X).all()
    assert np.abs(a.X).max() < 4.0, "built-in data should stay in the shared window"
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    assert a.n_classes >= 2 and set(np.unique(a.y)) == set(range(a.n_classes))


def test_noise_control_spreads_points():
    tight = points.make_dataset("ring8", 800, 0.01, seed=0)
    loose = points.make_dataset("ring8", 800, 0.3, seed=0)
    centres = points.ring8_centres()
    dist = lambda ds: np.linalg.norm(ds.X - centres[ds.y], axis=1).mean()  # noqa: E731
    assert dist(tight) < 0.02 < 0.2 < dist(loose)


def test_bad_settings_are_input_errors():
    with pytest.raises(InputError) as e:
        points.make_dataset("moons", 1)
    assert e.value.code == "bad_point_count"
    with pytest.raises(InputError):
        points.make_dataset("nope")


def test_csv_round_trip_keeps_points_and_word_labels():
    text = b"x,y,label\n0,0,cat\n1,1,dog\n2,0.5,cat\n"
    ds = points.parse_csv(text)
    assert ds.class_names == ("cat", "dog")
    assert ds.y.tolist() == [0, 1, 0]
    again = points.parse_csv(points.to_csv(ds).encode())
    assert np.allclose(again.X, ds.X) and again.y.tolist() == ds.y.tolist()


def test_csv_without_labels_is_one_class():
    ds = points.parse_csv(b"0,0\n1,2\n3,1\n")
    assert ds.n_classes == 1 and len(ds) == 3


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "file_empty"),
        (b"  \n\n", "file_empty"),
        (b"x,y,label\n", "file_empty"),
        (b"1,2\n3\n", "bad_columns"),
        (b"1,2,a,9\n", "bad_columns"),
        (b"1,2,a\n3,4\n", "bad_columns"),
        (b"1,2\nfoo,3\n", "not_numeric"),
        (b"1,2,a\n3,4,\n", "not_numeric"),
        (b"1,2\nnan,3\n", "not_finite"),
        (b"1,2\n3,inf\n", "not_finite"),
        (b"1,2\n", "too_few_points"),
        (b"1,2\n1,2\n1,2\n", "all_duplicates"),
        (b"".join(b"%d,%d\n" % (i, i) for i in range(points.MAX_POINTS + 1)), "too_many_rows"),
        (b"1,2\n" * 1_000_000, "file_too_large"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file_binary"),
        ("1,2\n3,4,é\n".encode("latin-1"), "file_not_utf8"),
        (b"".join(b"%d,%d,c%d\n" % (i, i, i) for i in range(9)), "too_many_classes"),
    ],
)
def test_csv_rejects_each_bad_input_with_its_own_code(data, code):
    with pytest.raises(InputError) as e:
        points.parse_csv(data)
    assert e.value.code == code


def test_single_class_is_rejected_where_classes_are_needed():
    ds = points.parse_csv(b"0,0\n1,2\n3,1\n")
    with pytest.raises(InputError) as e:
        points.check_points(ds, min_classes=2)
    assert e.value.code == "single_class"


def test_strokes_become_labelled_points_in_data_coordinates():
    strokes = [(0, [(0, 0), (180, 180)]), (2, [(360, 360)])]
    ds = points.points_from_strokes(strokes, (360, 360), spacing=0.1, seed=0)
    assert ds.n_classes == 2 and ds.class_names == ("A", "C")
    first = ds.X[ds.y == 0]
    assert len(first) > 20
    # top-left pixel is (-2.5, 2.5); the canvas centre is the origin
    assert np.allclose(first.mean(0), [-1.25, 1.25], atol=0.2)
    assert np.allclose(ds.X[ds.y == 1].mean(0), [2.5, -2.5], atol=0.2)
    with pytest.raises(InputError) as e:
        points.points_from_strokes([], (360, 360))
    assert e.value.code == "nothing_drawn"


# ---------------------------------------------------------------- what a page needs, checked before storing

def labelled(counts, names=None, scale=1.0):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(len(counts)), counts)
    return points.Dataset(rng.normal(size=(len(y), 2)) * scale, y, "t", tuple(names or "ABCDEFGH"[: len(counts)]))


@pytest.mark.parametrize(
    "ds, needs, code, params",
    [
        (labelled([5]), points.DataNeeds(min_points=8), "too_few_points", dict(n=5, min=8)),
        (labelled([5]), points.DataNeeds(min_classes=2), "single_class", dict(min=2)),
        (labelled([5, 5]), points.DataNeeds(min_classes=3), "too_few_classes", dict(n=2, min=3)),
        (labelled([6, 1, 3], ("cat", "dog", "emu")), points.DataNeeds(min_per_class=4), "class_too_small",
         dict(name="dog", n=1, min=4)),
        (labelled([6, 6], scale=1e7), points.DataNeeds(), "coordinates_too_large", None),
    ],
)
def test_each_need_is_checked_with_a_message_that_says_what_is_needed(ds, needs, code, params):
    with pytest.raises(InputError) as e:
        points.check_points(ds, needs)
    assert e.value.code == code
    if params is not None:
        assert e.value.params == params
    else:
        assert e.value.params["max"] == points.MAX_ABS and e.value.params["value"] > points.MAX_ABS


def test_a_pages_own_model_check_runs_last_and_data_that_meets_every_need_passes():
    seen = []
    needs = points.DataNeeds(min_points=4, min_classes=2, min_per_class=2, check=lambda X: seen.append(X.shape))
    ds = labelled([2, 2])
    assert points.check_points(ds, needs) is ds
    assert seen == [(4, 2)]
    with pytest.raises(InputError) as e:
        points.check_points(labelled([3, 1]), needs)
    assert e.value.code == "class_too_small" and seen == [(4, 2)]


def test_the_split_keeps_enough_training_points_in_every_class_for_every_seed():
    ds = labelled([4, 4, 4])
    for seed in range(30):
        train, test = points.train_test_split(ds, 0.25, seed, min_train_per_class=3)
        assert np.bincount(train.y, minlength=3).min() >= 3 and len(test) >= 1
        assert len(train) + len(test) == len(ds)
    # without the guarantee some seed leaves a class with 2 (this is what broke page 1's per-class models)
    assert any(np.bincount(points.train_test_split(ds, 0.25, s)[0].y, minlength=3).min() < 3 for s in range(30))


def test_the_guarantee_does_not_move_a_point_when_nothing_is_short():
    ds = points.make_dataset("blobs", 300, seed=3)
    a_train, a_test = points.train_test_split(ds, 0.25, 5)
    b_train, b_test = points.train_test_split(ds, 0.25, 5, min_train_per_class=3)
    assert np.array_equal(a_train.X, b_train.X) and np.array_equal(a_test.X, b_test.X)


# ---------------------------------------------------------------- spreadsheets, huge numbers, binary bytes

def test_a_brazilian_excel_csv_is_read_semicolons_and_decimal_commas():
    data = "x;y;rótulo\r\n335,0;-1,25;gato\r\n2,5;1E-3;cão\r\n-0,5;3;gato\r\n".encode("utf-8-sig")
    ds = points.parse_csv(data)
    assert ds.X.tolist() == [[335.0, -1.25], [2.5, 0.001], [-0.5, 3.0]]
    assert ds.class_names == ("cão", "gato") and ds.y.tolist() == [1, 0, 1]


def test_tabs_and_semicolons_with_decimal_points_are_read_too():
    assert points.parse_csv(b"1.5\t2\ta\n3\t4.25\tb\n").X.tolist() == [[1.5, 2.0], [3.0, 4.25]]
    assert points.parse_csv(b"1.5;2\n3;4.25\n").X.tolist() == [[1.5, 2.0], [3.0, 4.25]]


def test_with_comma_separators_1_5_stays_two_numbers():
    """The ambiguous case: "1,5" in a comma-separated file is x = 1, y = 5, never one and a half."""
    ds = points.parse_csv(b"1,5\n2,5\n3,7\n")
    assert ds.X.tolist() == [[1.0, 5.0], [2.0, 5.0], [3.0, 7.0]] and ds.n_classes == 1
    ds = points.parse_csv(b"x,y,label\n1,5,a;b\n2,5,c\n")  # a ";" inside a label does not switch the separator
    assert ds.X.tolist() == [[1.0, 5.0], [2.0, 5.0]] and ds.class_names == ("a;b", "c")


def test_a_semicolon_file_reports_its_bad_line_in_its_own_terms():
    data = b"x;y\n" + b"".join(b"%d,5;%d\n" % (i, i) for i in range(10)) + b"335;abc\n"
    with pytest.raises(InputError) as e:
        points.parse_csv(data)
    assert (e.value.code, e.value.params) == ("not_numeric", dict(line=12, value="abc"))  # not "335;0 is not a number"


def test_a_decimal_point_in_a_decimal_comma_file_is_refused_not_guessed():
    for cell in (b"1.234,5", b"1.5"):  # thousands separator, or a point among commas: say which line to fix
        with pytest.raises(InputError) as e:
            points.parse_csv(b"1,5;2\n" + cell + b";3\n")
        assert (e.value.code, e.value.params) == ("decimal_mix", dict(line=2, value=cell.decode()))


def test_huge_coordinates_are_refused_with_their_line():
    with pytest.raises(InputError) as e:
        points.parse_csv(b"1,2,a\n3,4,b\n1e300,5,a\n")
    assert (e.value.code, e.value.params) == ("coordinate_too_large", dict(line=3, value="1e300", max=points.MAX_ABS))
    ok = points.parse_csv(b"1e6,-1e6\n0,0\n")
    assert np.abs(ok.X).max() == points.MAX_ABS


@pytest.mark.parametrize("where", [100, 8192 + 50, 100_000])
def test_a_nul_byte_anywhere_is_a_binary_file(where):
    rows = b"".join(b"%d,%d,a\n" % (i, i) for i in range(15_000))[:120_000]
    data = rows[:where] + b"\x00" + rows[where:]
    with pytest.raises(InputError) as e:
        points.parse_csv(data)
    assert e.value.code == "file_binary"


def test_the_size_limit_is_checked_from_the_size_alone():
    points.check_csv_size(points.MAX_CSV_BYTES)
    with pytest.raises(InputError) as e:
        points.check_csv_size(30_000_000)
    assert e.value.params == dict(size_kb=30_000, max_kb=2_000)


# ---------------------------------------------------------------- CSV injection

FORMULAS = ["=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1", "-2+3", "\t=1", "\r=1", "'=already", "=\"quoted\",cell"]


def written_cells(names):
    ds = points.Dataset(np.arange(2 * len(names), dtype=float).reshape(-1, 2) / 7, np.arange(len(names)), "f", tuple(names))
    written = points.to_csv(ds)
    rows = written.splitlines()[1:]
    assert len(rows) == len(names)
    return ds, written, [row.split(",", 2)[2] for row in rows]


def test_formula_like_labels_are_written_as_text_and_read_back_as_they_were():
    ds, written, cells = written_cells(FORMULAS)
    # OWASP: every formula-like cell starts with an apostrophe inside double quotes, so no spreadsheet runs it
    assert cells[:5] == ["\"'=cmd|' /C calc'!A0\"", "\"'@SUM(1+1)\"", "\"'+1+1\"", "\"'-2+3\"", "\"'\t=1\""]
    assert cells[5] == "\" =1\""  # a line break cannot live in a row: it becomes a space, and " =1" is text
    assert cells[6] == "\"''=already\""  # one more apostrophe, so the reader can tell it from a protected "=already"
    assert cells[7] == "\"'=\"\"quoted\"\",cell\""
    # Read back by this app: the same labels with the protecting apostrophe removed, and the very same
    # coordinates. Only the line break is not restored, and outer spaces are stripped as for every cell.
    again = points.parse_csv(written.encode())
    assert [again.class_names[k] for k in again.y] == [
        "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1", "-2+3", "\t=1", "=1", "'=already", "=\"quoted\",cell"]
    assert np.array_equal(again.X, ds.X)


def test_numbers_and_words_are_written_as_they_are():
    ds, written, cells = written_cells(["-1", "+2.5", "plain", "a b"])
    assert cells == ["-1", "+2.5", "plain", "a b"]  # -1 is a number to a spreadsheet, not a formula
    again = points.parse_csv(written.encode())
    assert [again.class_names[k] for k in again.y] == ["-1", "+2.5", "plain", "a b"]


def test_the_digits_and_their_judge_match_scikit_learn_without_importing_it():
    """The digits are read from scikit-learn's own file, and the judge is the shipped SVM computed with
    numpy: the same images, labels and predictions as ``load_digits`` and a freshly fitted ``SVC``."""
    from sklearn.datasets import load_digits

    from engine.data import digits

    real = load_digits()
    X, y = digits._all()
    assert np.array_equal(X, real.data.astype(np.float32)) and np.array_equal(y, real.target)
    clf = digits.fit_classifier()
    rng = np.random.default_rng(0)
    Xte, yte = digits.load("test")
    noisy = np.clip(Xte + rng.normal(0, 3, Xte.shape), 0, 16)
    for images in (Xte, noisy, rng.uniform(0, 16, (300, 64))):
        assert np.array_equal(digits.classify(images), clf.predict(images))
    assert (digits.classify(Xte) == yte).mean() > 0.95
