"""What each group-robot vendor expects: the JSON body, the signature, and what counts as success.

Pure functions, no network: ``build_request`` turns a message into (URL, body bytes) and
``check_response`` reads the vendor's answer. The formats follow each vendor's published
documentation of its custom robots:

- WeCom (企业微信群机器人): ``{"msgtype": "markdown", "markdown": {"content": …}}``; no signing
  (the key is in the URL); success is ``{"errcode": 0}``; 20 messages a minute per robot.
- DingTalk (钉钉自定义机器人): ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``;
  optional signing: HMAC-SHA256 keyed with the secret over ``timestamp + "\\n" + secret``
  (timestamp in milliseconds), base64, URL-encoded, appended as ``&timestamp=…&sign=…``;
  success is ``{"errcode": 0}``; 20 messages a minute per robot.
- Feishu / Lark (飞书自定义机器人): ``{"msg_type": "post", "content": {"post": {…}}}``; optional
  signing: HMAC-SHA256 keyed with ``timestamp + "\\n" + secret`` over an empty message (timestamp
  in seconds), base64, sent as "timestamp" and "sign" in the body; success is ``{"code": 0}``
  (older answers: ``{"StatusCode": 0}``); 100 messages a minute and 5 a second per robot.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

# (window, how many messages) per vendor: a message beyond a limit waits for the window to pass.
RATE_LIMITS: dict[str, tuple[tuple[timedelta, int], ...]] = {
    "wecom": ((timedelta(minutes=1), 20),),
    "dingtalk": ((timedelta(minutes=1), 20),),
    "feishu": ((timedelta(minutes=1), 100), (timedelta(seconds=1), 5)),
}

# WeCom limits a markdown message to 4096 bytes, DingTalk and Feishu to about 20 000: stay below.
MAX_CONTENT_BYTES = {"wecom": 4000, "dingtalk": 18000, "feishu": 18000}


@dataclasses.dataclass(frozen=True)
class Content:
    """The message as a group chat shows it."""

    title: str
    body: str
    link: str  # an absolute URL, or ""
    link_label: str  # "Open in xietong", in the chat's language
    language: str


def _clip(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def _markdown(content: Content, *, title_line: str) -> str:
    parts = [title_line]
    if content.body:
        parts.append(content.body)
    if content.link:
        parts.append(f"[{content.link_label}]({content.link})")
    return "\n\n".join(parts)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, base64 (not yet URL-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the HMAC *key* is timestamp + "\\n" + secret, the message is empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _dump(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def build_request(*, vendor: str, url: str, secret: str, content: Content, now: datetime) -> tuple[str, bytes]:
    """The URL to post to and the JSON body, for ``vendor``."""
    limit = MAX_CONTENT_BYTES.get(vendor, 0)
    if vendor == "wecom":
        text = _clip(_markdown(content, title_line=f"**{content.title}**"), limit)
        return url, _dump({"msgtype": "markdown", "markdown": {"content": text}})
    if vendor == "dingtalk":
        text = _clip(_markdown(content, title_line=f"#### {content.title}"), limit)
        body = _dump({"msgtype": "markdown", "markdown": {"title": content.title, "text": text}})
        if secret:
            timestamp = int(now.timestamp() * 1000)
            sign = quote(dingtalk_sign(secret, timestamp), safe="")
            url = f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
        return url, body
    if vendor == "feishu":
        lines: list[list[dict[str, str]]] = []
        if content.body:
            lines.append([{"tag": "text", "text": _clip(content.body, limit)}])
        if content.link:
            lines.append([{"tag": "a", "text": content.link_label, "href": content.link}])
        locale = "en_us" if content.language == "en" else "zh_cn"
        payload: dict[str, Any] = {}
        if secret:
            timestamp = int(now.timestamp())
            payload |= {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp)}
        payload |= {"msg_type": "post", "content": {"post": {locale: {"title": content.title, "content": lines}}}}
        return url, _dump(payload)
    raise ValueError(f"unknown webhook vendor {vendor!r}")


def check_response(vendor: str, text: str) -> str | None:
    """None if the vendor's answer says the message was accepted, else what went wrong."""
    try:
        answer = json.loads(text)
    except ValueError:
        return "not a JSON answer"
    if not isinstance(answer, dict):
        return "not a JSON object"
    if vendor in ("wecom", "dingtalk"):
        code = answer.get("errcode")
        return None if code == 0 else f"errcode {code}: {answer.get('errmsg', '')}"
    code = answer.get("code", answer.get("StatusCode"))
    return None if code == 0 else f"code {code}: {answer.get('msg', answer.get('StatusMessage', ''))}"
