"""Filter boxes: quotes keep a value's spaces; an apostrophe in a word is not a quote."""

from __future__ import annotations

from workbench.services.where import filter_terms, matches_where, parse_where
from workbench.tui.screens.home import split_filter


def test_quotes_keep_spaces_in_a_value() -> None:
    assert filter_terms('set="Wave 1" role=patient moor') == ["set=Wave 1", "role=patient", "moor"]
    assert split_filter("set='ICLS 2025' Booking") == ([("set", "ICLS 2025")], "booking")


def test_an_apostrophe_falls_back_to_words() -> None:
    assert filter_terms("patient's role=staff") == ["patient's", "role=staff"]


def test_a_quoted_value_matches_case_insensitively() -> None:
    where = parse_where(filter_terms('set="wave 1"'))
    assert matches_where({"set": "Wave 1"}, "interview", where)
    assert not matches_where({"set": "Wave 10"}, "interview", where)
