"""Data the families learn from: 2D point datasets, drawn strokes and CSV files (``points``), the
8×8 handwritten digits and the evaluator that reads them (``digits``), text corpora (``corpora``)."""
