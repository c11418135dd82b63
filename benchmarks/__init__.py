"""likekit benchmarks: speed and accuracy, each against a baseline measured in the same run.

Every ``benchmarks/bench_*.py`` module defines ``run(quick: bool = False) -> list[Row]``.
``python -m benchmarks [NAME ...] [--quick]`` runs them, prints one table per benchmark and
writes ``reports/benchmarks/NAME.json``.
"""
