"""The tokenizer, the query's terms and the highlighting (no database)."""

from __future__ import annotations

import pytest

from xietong.search.text import Term, highlight, index_terms, query_terms, single_character


def test_index_terms_cut_cjk_runs_into_overlapping_bigrams_and_keep_words_whole():
    assert index_terms("公司年度会议纪要") == "公司 司年 年度 度会 会议 议纪 纪要"
    assert index_terms("8D报告，ERP系统 2026年") == "8d 报告 erp 系统 2026 年"
    assert index_terms("会") == "会"
    assert index_terms("") == ""


def test_index_terms_normalise_full_width_and_case():
    assert index_terms("ＥＲＰ系统 Ｖ２") == "erp 系统 v2"
    assert index_terms("ÉTÉ Straße") == "été straße"


def test_index_terms_drop_punctuation_and_query_syntax():
    assert index_terms('"会议" NEAR(a*b) 50% a_b x:y &|!') == "会议 near a b 50 a b x y"


def test_index_terms_take_cjk_extension_characters_and_kana():
    assert index_terms("𠀀𠀁の") == "𠀀𠀁 𠀁の"


def test_query_terms_one_per_word_in_order_without_duplicates():
    assert query_terms("会议纪要  客户 会议纪要") == [
        Term(("会议", "议纪", "纪要"), False, ("会议纪要",)),
        Term(("客户",), False, ("客户",)),
    ]


def test_a_lone_cjk_character_closing_a_mixed_term_is_a_prefix():
    assert query_terms("2026年") == [Term(("2026", "年"), True, ("2026", "年"))]
    assert query_terms("年2026") == [Term(("年", "2026"), False, ("年", "2026"))]


def test_query_syntax_is_only_punctuation():
    assert query_terms('"NEAR(" * % _ : & | ! ( )') == [Term(("near",), False, ("near",))]
    assert query_terms("%_*") == []


def test_single_character_queries_are_told_apart():
    assert single_character(query_terms("年")) == "年"
    assert single_character(query_terms("a")) == "a"
    assert single_character(query_terms("年度")) is None
    assert single_character(query_terms("年 月")) is None


def test_highlight_escapes_everything_and_marks_only_the_match():
    # given text holding markup and a query holding markup
    text = '<script>alert("x")</script> 会议<b>纪要</b> <img src=x onerror=alert(1)>'
    # when
    html = highlight(text, query_terms('会议 "><img onerror'))
    # then
    assert str(html) == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>会议</mark>&lt;b&gt;纪要&lt;/b&gt; "
        "&lt;<mark>img</mark> src=x <mark>onerror</mark>=alert(1)&gt;"
    )


def test_highlight_marks_a_phrase_across_separators_and_keeps_original_characters():
    assert str(highlight("请看 ＥＲＰ-系统 的8D 报告", query_terms("erp系统 8d报告"))) == (
        "请看 <mark>ＥＲＰ-系统</mark> 的<mark>8D 报告</mark>"
    )


@pytest.mark.parametrize("width", [20, 40])
def test_highlight_cuts_around_the_first_match(width):
    text = "前" * 100 + "客户投诉" + "后" * 100
    html = str(highlight(text, query_terms("投诉"), width=width))
    assert "<mark>投诉</mark>" in html
    assert html.startswith("…")
    assert html.endswith("…")
    assert len(html.replace("<mark>", "").replace("</mark>", "")) == width + 2
