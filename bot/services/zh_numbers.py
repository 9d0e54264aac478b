"""Chinese numerals (三十, 一百零五, 两千) to integers and back, for the numbers of practice questions.

Up to 9,999, which covers what course material states in words (days, months, characters); a
larger or malformed numeral is not a number here.
"""
from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_WRITE = "零一二三四五六七八九"
# starts with a digit or 十 ("十五"), so 千年 / 百年 are not read as numbers
NUMERAL = "[一二两三四五六七八九十][零〇一二两三四五六七八九十百千]*"
_NUMERAL_RE = re.compile(NUMERAL)
# the units a number of course material comes with ("三十天", "64个字符", "12欧元")
UNIT = r"(?P<unit>个工作日|工作日|个字符|字符|个月|小时|分钟|欧元|美元|字节|天|周|年|元|次|%)"
# a Chinese numeral with its unit; 一 alone ("一次", "一个月") reads as "once", not a number to learn
WITH_UNIT = re.compile(f"(?P<value>{NUMERAL}){UNIT}")


def parse(text: str) -> int | None:
    """The value of a Chinese numeral ("三十" → 30, "一百零五" → 105); None when `text` is not one."""
    if not text or _NUMERAL_RE.fullmatch(text) is None:
        return None
    total, digit, last_unit = 0, None, 10_000
    for ch in text:
        if ch in ("零", "〇"):
            if digit is not None:
                return None
            continue
        if ch in _DIGITS:
            if digit is not None:
                return None  # "三三" is not a numeral
            digit = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            if unit >= last_unit:
                return None  # "十百": units only fall
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return total + (digit or 0)


def write(n: int) -> str:
    """`n` (1..9999) as a Chinese numeral: 30 → 三十, 15 → 十五, 105 → 一百零五."""
    if not 0 < n < 10_000:
        raise ValueError(f"{n} is outside 1..9999")
    out, gap = "", False
    for value, name in ((1000, "千"), (100, "百"), (10, "十")):
        d, n = divmod(n, value)
        if d:
            out += ("零" if gap else "") + ("" if value == 10 and d == 1 and not out else _WRITE[d]) + name
            gap = False
        elif out:
            gap = True
    if n:
        out += ("零" if gap else "") + _WRITE[n]
    return out


def quantity(match: re.Match[str]) -> int | None:
    """The value of a WITH_UNIT match; None for a malformed numeral or for 一 alone ("一次")."""
    v = parse(match.group("value"))
    return v if v is not None and v >= 2 else None


def to_digits(text: str) -> str:
    """`text` with each Chinese numeral that comes with a unit written in digits: "三十天内" → "30天内"."""
    def digits(m: re.Match[str]) -> str:
        v = quantity(m)
        return m.group(0) if v is None else f"{v}{m.group('unit')}"

    return WITH_UNIT.sub(digits, text)
