"""The vendors' formats without the network: clipping, and what counts as an accepted message."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from xietong.notify import vendors

NOW = datetime(2025, 3, 7, 7, 30, tzinfo=UTC)


def _content(body: str) -> vendors.Content:
    return vendors.Content(title="标题", body=body, link="", link_label="打开", language="zh-hans")


def test_a_long_wecom_message_is_cut_below_its_4096_byte_limit():
    # when
    _url, body = vendors.build_request(
        vendor="wecom", url="http://x/", secret="", content=_content("长" * 3000), now=NOW
    )
    # then
    content = json.loads(body)["markdown"]["content"]
    assert len(content.encode()) <= 4000
    assert content.startswith("**标题**\n\n长长")
    assert content.endswith("…")


def test_a_message_without_body_or_link_is_just_its_title():
    _url, body = vendors.build_request(vendor="wecom", url="http://x/", secret="", content=_content(""), now=NOW)
    assert json.loads(body) == {"msgtype": "markdown", "markdown": {"content": "**标题**"}}


def test_english_feishu_messages_use_the_en_us_locale():
    content = vendors.Content(title="Title", body="", link="", link_label="Open", language="en")
    _url, body = vendors.build_request(vendor="feishu", url="http://x/", secret="", content=content, now=NOW)
    assert json.loads(body) == {"msg_type": "post", "content": {"post": {"en_us": {"title": "Title", "content": []}}}}


def test_an_unknown_vendor_is_a_bug():
    with pytest.raises(ValueError, match="slack"):
        vendors.build_request(vendor="slack", url="http://x/", secret="", content=_content(""), now=NOW)


@pytest.mark.parametrize(
    ("vendor", "answer", "error"),
    [
        ("wecom", '{"errcode":0,"errmsg":"ok"}', None),
        ("wecom", '{"errcode":93000,"errmsg":"invalid webhook url"}', "errcode 93000: invalid webhook url"),
        ("dingtalk", '{"errcode":310000,"errmsg":"sign not match"}', "errcode 310000: sign not match"),
        ("dingtalk", "{}", "errcode None: "),
        ("feishu", '{"code":0,"msg":"success","data":{}}', None),
        ("feishu", '{"StatusCode":0,"StatusMessage":"success"}', None),
        ("feishu", '{"code":9499,"msg":"Bad Request"}', "code 9499: Bad Request"),
        ("feishu", "<html>bad gateway</html>", "not a JSON answer"),
        ("wecom", "[0]", "not a JSON object"),
    ],
)
def test_the_answer_decides_success(vendor, answer, error):
    assert vendors.check_response(vendor, answer) == error
