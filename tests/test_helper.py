"""The helper process that gives diagnose a second core (likekit.diagnosis.helper).

That diagnose on two cores finds what it finds on one is tested in test_scale (a table in
several chunks against the whole table) and by the golden files."""

from __future__ import annotations

import operator
import os

import pytest

from likekit.diagnosis.helper import Helper, helper_if, on_two_cores


def test_a_call_runs_in_another_process_and_its_exception_comes_back():
    with Helper() as helper:
        assert helper.call(os.getpid) != os.getpid()
        assert helper.call(operator.mul, 6, 7) == 42
        with pytest.raises(ValueError, match="invalid literal"):
            helper.call(int, "x")
        assert helper.call(operator.add, 1, 2) == 3  # still serving after a failure


@pytest.mark.parametrize("n", [0, 1, 2, 7, 30])
def test_results_come_in_the_calls_order_whoever_computed_them(n):
    calls = [(k, 3) for k in range(n)]
    taken = []
    with Helper() as helper:
        out = on_two_cores(helper, operator.pow, calls, lambda: taken.append(1))
    assert out == [k**3 for k in range(n)]
    assert len(taken) == n


def test_a_failing_call_raises_its_exception():
    calls = [("1",), ("2",), ("x",), ("4",), ("5",)]
    with Helper() as helper, pytest.raises(ValueError, match="invalid literal"):
        on_two_cores(helper, int, calls, lambda: None)


def test_without_a_helper_the_calls_run_here():
    with helper_if(False) as helper:
        assert helper is None
        assert on_two_cores(helper, os.getpid, [(), ()], lambda: None) == [os.getpid()] * 2
