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
