"""Typed values from Chinese table-cell text: dates, numbers, and a column's dtype.

In: one cell's cleaned text (`text` or `text_original` of a table cell; footnote markers and
markup already gone), or a column of them for `infer_dtype`.
Out: `DateValue`, `NumberValue`, or 'date' | 'number' | 'text'.

Never guess silently: anything that is not clearly a date or a number gives None, so a caller
can leave the typed column null and keep the text. In particular:

- The cell must essentially *be* the value. A date inside a sentence (`2011年4月28日，四国总统…`)
  is not a date value. Allowed around a date: whitespace, a weekday note `（星期四）` (checked
  against the date: a wrong weekday gives None), an approximation mark (`约`/`大约` before,
  `前后`/`左右` after: `approximate=True`), and `起` / `至今` / a trailing dash for an open end.
- Invalid calendar dates (`2月30日`, `13月`) give None, and so does a range whose end is
  before its start, or whose two ends have different precision (`2015年3月-2016年`).
- A year alone needs three or four digits (`618年`, `2016年`): `5年` is far more often a
  duration than the year 5. With a 民国/民國 prefix any ROC year is accepted (+1911).
- Ranges and lower bounds of numbers (`1-2`, `10-20人`, `100多`, `逾100`) give None: they have
  no single value. `约100` is 100 with `approximate=True`.
- A currency before a number (`$11,772`, `US$1,964億`, `RMB 100`) is its unit, kept as written
  like the `美元` of `100美元`; it takes Arabic digits and a magnitude only (`$100美元` is None).
- A day or month without a year (`4月28日`) is None: we don't guess the year.
- Decades (`1980年代`), BCE years (`前221年`), and bare numbers as years (`2012`) are not dates.

Chinese numerals go through cn2an (`normal` mode), after folding the Traditional 萬/億/兩.
Text is NFKC-normalised first, so full-width digits and punctuation (`２０１２`, `－`, `（`)
read like their ASCII forms.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class DateValue:
    """A date or date range, as ISO 'YYYY-MM-DD' bounds.

    start: first day covered. end: last day covered (inclusive), None for an open end
    (`2015年至今`). precision: 'day' | 'month' | 'year', how much of start/end the text gave:
    `2012年6月` is 2012-06-01..2012-06-30 at 'month'; a range's two ends share one precision.
    approximate: marked `约`/`大约` before or `前后`/`左右` after.
    """

    start: str
    end: str | None
    precision: str
    approximate: bool = False


@dataclass(frozen=True)
class NumberValue:
    """A number as written, scaled by 万/亿/千 but not by %.

    value: the number (`3.5万` -> 35000.0; `12.5%` -> 12.5 with unit '%', never 0.125).
    unit: the suffix after the number as written (`名`, `届`, `%`, `美元`), None when bare.
    ordinal: written as a position (`第8届`, `1.`).
    approximate: marked `约`/`大约` or `左右`.
    """

    value: float
    unit: str | None = None
    ordinal: bool = False
    approximate: bool = False


# Cells that say "no value" rather than something unparsed; infer_dtype skips them.
EMPTY_MARKERS = frozenset({"", "-", "—", "–", "―", "－", "--", "——", "N/A", "n/a", "?", "？"})

_UNIT = {"年": 0, "月": 1, "日": 2, "号": 2, "號": 2}
_PRECISION = ("year", "month", "day")
# NFKC maps the full-width forms (－ ～) already; the rest are dashes Chinese text uses.
_RANGE_SEP = r"(?:-|–|—|―|−|~|〜|至|到)"
# '2015年至今', '2015年-至今', '2015年-今', '2015年起', '2015年-': start known, no end yet.
_OPEN_END = re.compile(
    rf"(.+?)(?:{_RANGE_SEP}?(?:至今|迄今|现在|現在|目前)|{_RANGE_SEP}今|起|{_RANGE_SEP})"
)
_APPROX_PREFIX = ("大约", "大約", "约", "約")
_APPROX_SUFFIX = ("前后", "前後", "左右")
_WEEKDAY = re.compile(r"\((?:星期|礼拜|禮拜|周|週)([一二三四五六日天])\)$")
_WEEKDAYS = "一二三四五六日"
# Chinese numerals cn2an reads; 萬/億/兩 are folded to Simplified first.
_CN_DIGITS = "〇零一二两三四五六七八九十百千万亿廿壹贰叁肆伍陆柒捌玖拾佰仟"
_CN_FOLD = str.maketrans({"萬": "万", "億": "亿", "兩": "两", "貳": "贰", "陸": "陆", "負": "负"})
_NUM = rf"(?:\d+|[{_CN_DIGITS}]+)"
_TEMPLATE = re.compile(
    r"\{\{\s*(?:start|end)[ _]date(?:[ _]and[ _]age)?\s*((?:\|[^|{}]*)*)\}\}", re.IGNORECASE
)
_COMPONENT = re.compile(rf"({_NUM})([年月日号號]?)")
_ISO = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
# A trailing superscript number after a value is a note mark (14³ for 14 and note 3), unless a
# unit's letters precede it (km²); 10⁶ is a power of ten.
_NOTE_MARK = re.compile(rf"(?<![A-Za-z{_SUPERSCRIPTS}])[{_SUPERSCRIPTS}]+$")
_POWER_OF_TEN = re.compile(rf"10([{_SUPERSCRIPTS}]+)")


def _prepare(text: str) -> str:
    text = text.strip()
    if not _POWER_OF_TEN.fullmatch(text):
        text = _NOTE_MARK.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(_CN_FOLD)
    return re.sub(r"\s+", "", text)


def _chinese_numeral(token: str) -> float | None:
    import cn2an  # imported on first use: it takes ~0.15 s, and most cells are Arabic

    try:
        return float(cn2an.cn2an(token, "normal"))
    except (ValueError, KeyError, IndexError):  # cn2an raises ValueError on what it can't read
        return None


def _int(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    value = _chinese_numeral(token)
    return int(value) if value is not None and value == int(value) and value >= 0 else None


# ---------------------------------------------------------------- dates


def _components(part: str) -> list[tuple[int, int | None, int]] | None:
    """'1989年11月6' -> [(1989, 0, 4), (11, 1, 2), (6, None, 1)]: value, unit index, digits."""
    matches = list(_COMPONENT.finditer(part))
    if not matches or "".join(m.group(0) for m in matches) != part:
        return None
    out = []
    for m in matches:
        value = _int(m.group(1))
        if value is None:
            return None
        out.append((value, _UNIT.get(m.group(2)), len(m.group(1))))
    return out


def _fields(comps, first_unit: int) -> dict[int, tuple[int, int]] | None:
    """Components with consecutive units starting at first_unit -> {unit: (value, digits)}."""
    fields = {}
    for i, (value, unit, digits) in enumerate(comps):
        if unit != first_unit + i:
            return None
        fields[unit] = (value, digits)
    return fields


def _bounds(year: int, month: int | None, day: int | None) -> tuple[_dt.date, _dt.date] | None:
    try:
        if day is not None:
            d = _dt.date(year, month, day)
            return d, d
        if month is not None:
            last = calendar.monthrange(year, month)[1]
            return _dt.date(year, month, 1), _dt.date(year, month, last)
        return _dt.date(year, 1, 1), _dt.date(year, 12, 31)
    except (ValueError, TypeError, calendar.IllegalMonthError):
        return None


def _point(fields: dict[int, tuple[int, int]], roc: bool) -> tuple[_dt.date, _dt.date] | None:
    year, digits = fields[0]
    if roc:
        year += 1911
    elif digits < 3 or year < 100:  # '5年' is a duration; '99年' an abbreviation we won't expand
        return None
    month = fields.get(1, (None, 0))[0]
    day = fields.get(2, (None, 0))[0]
    return _bounds(year, month, day)


def _chinese_date(body: str) -> DateValue | None:
    roc = False
    for prefix in ("中华民国", "中華民國", "民国", "民國"):
        if body.startswith(prefix):
            roc, body = True, body[len(prefix):]
            break

    open_end = _OPEN_END.fullmatch(body)
    if open_end:
        body = open_end.group(1)

    parts = re.split(_RANGE_SEP, body)
    if len(parts) > 2 or (len(parts) == 2 and open_end):
        return None
    left = _components(parts[0])
    if left is None:
        return None
    if len(parts) == 1:
        fields = _fields(left, 0)
        if fields is None:
            return None
        bounds = _point(fields, roc)
        if bounds is None:
            return None
        end = None if open_end else bounds[1].isoformat()
        return DateValue(bounds[0].isoformat(), end, _PRECISION[max(fields)])

    right = _components(parts[1])
    if right is None or any(unit is None for _, unit, _ in right):
        return None
    last = right[-1][1]
    if left[-1][1] is None:  # '6-7日', '2011-2012年': the left end borrows the right's unit
        left = left[:-1] + [(left[-1][0], last, left[-1][2])]
    lfields = _fields(left, 0)
    rfields = _fields(right, right[0][1])
    if lfields is None or rfields is None or max(lfields) != last:
        return None
    rfields = {**{u: v for u, v in lfields.items() if u < right[0][1]}, **rfields}
    lb, rb = _point(lfields, roc), _point(rfields, roc)
    if lb is None or rb is None or rb[1] < lb[0]:
        return None
    return DateValue(lb[0].isoformat(), rb[1].isoformat(), _PRECISION[last])


def _template_date(text: str) -> DateValue | None:
    m = _TEMPLATE.fullmatch(text.strip())
    if not m:
        return None
    args = [a.strip() for a in m.group(1).split("|")[1:]]
    positional = [a for a in args if "=" not in a]  # df=y, mf=yes: display options
    if not 1 <= len(positional) <= 3 or not all(a.isdigit() for a in positional):
        return None
    nums = [int(a) for a in positional]
    bounds = _bounds(nums[0], *(nums[1:] + [None, None])[:2])
    if bounds is None:
        return None
    return DateValue(bounds[0].isoformat(), bounds[1].isoformat(), _PRECISION[len(nums) - 1])


def _approx_prefix(body: str) -> tuple[str, bool]:
    """`约100` -> ("100", True): the body without an approximation mark, and whether it had one."""
    for prefix in _APPROX_PREFIX:
        if body.startswith(prefix):
            return body[len(prefix):], True
    return body, False


@lru_cache(maxsize=16384)  # a table's column is parsed to infer its type, then cell by cell
def parse_date(text: str) -> DateValue | None:
    """The date or date range a cell holds, or None. See the module docstring for the forms."""
    if not isinstance(text, str):
        return None
    if "{{" in text:
        return _template_date(text)
    body = _prepare(text)

    body, approximate = _approx_prefix(body)
    for suffix in _APPROX_SUFFIX:
        if body.endswith(suffix):
            body, approximate = body[: -len(suffix)], True
            break

    weekday = _WEEKDAY.search(body)
    if weekday:
        body = body[: weekday.start()]

    iso = _ISO.fullmatch(body)
    if iso:
        y, mo, d = int(iso.group(1)), int(iso.group(2)), iso.group(3)
        bounds = _bounds(y, mo, int(d) if d else None)
        value = bounds and DateValue(
            bounds[0].isoformat(), bounds[1].isoformat(), "day" if d else "month"
        )
    else:
        value = _chinese_date(body) if re.search(r"[年月日号號]", body) else None
    if value is None:
        return None
    if weekday:
        # a weekday note only fits one day; a wrong one means we misread something
        if value.precision != "day" or value.start != value.end:
            return None
        if _dt.date.fromisoformat(value.start).weekday() != _WEEKDAYS.index(
            weekday.group(1).replace("天", "日")
        ):
            return None
    if approximate:
        value = DateValue(value.start, value.end, value.precision, approximate=True)
    return value


# ---------------------------------------------------------------- numbers

_MAGNITUDE = {"千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}
_ORDINAL_COUNTERS = frozenset(
    "届屆名次位号號期章集季轮輪任代个個场場回卷册冊版部条條"
)
_ARABIC = re.compile(
    r"(?P<sign>[-+−])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"  # .985: a rate
    r"(?P<mag>万亿|千|万|亿)?(?P<unit>.*)"
)
# A unit is a sign or a short word; NFKC turned km² into km2, hence the optional 2/3.
_UNIT_TEXT = re.compile(r"[%‰°℃]|[^\W\d_]{1,4}[23]?")
# '100多', '100余人', '100以上': bounds, not values.
_NOT_A_VALUE = re.compile(r"^[多余餘几幾来來+]|以上|以下|上下|之间|之間")
# Currency written before the number. A closed list, so 'A$B' or a stray letter is no
# currency; NFKC has already turned ＄ ￥ ￡ into $ ¥ £, and _prepare dropped the space of 'USD 100'.
_CURRENCY = re.compile(
    r"(?:US|NT|HK|A|C)?\$|[€£¥₩]|RMB|USD|EUR|CNY|JPY|HKD|TWD", re.IGNORECASE
)


def _arabic_value(m: re.Match) -> float:
    value = float(m.group("num").replace(",", "")) * _MAGNITUDE.get(m.group("mag"), 1)
    return -value if m.group("sign") in ("-", "−") else value


@lru_cache(maxsize=16384)  # values are frozen, so sharing them is safe
def parse_number(text: str) -> NumberValue | None:
    """The single number a cell holds, or None. See NumberValue for what the fields mean.
    A bracketed note after it ("9.0 kg (2006 数据)") is not part of the value."""
    if not isinstance(text, str):
        return None
    value = _parse_number(text)
    if value is None and text.rstrip().endswith((")", "）")):
        bare = _TRAILING_NOTE.sub("", text)
        if bare and bare != text:
            return _parse_number(bare)
    return value


# A note says something in words ("(2006 数据)", "（约）"); "3.0 SP2 (2.0 SP2)" is not a number.
_TRAILING_NOTE = re.compile(r"\s*[（(][^()（）]*[\u4e00-\u9fff][^()（）]*[)）]\s*$")


def _parse_number(text: str) -> NumberValue | None:
    if "，" in text or "、" in text:  # Chinese list separators: '1，234' may be two numbers
        return None
    power = _POWER_OF_TEN.fullmatch(text.strip())
    if power:
        return NumberValue(10.0 ** int(unicodedata.normalize("NFKC", power.group(1))), None, False, False)
    body = _prepare(text)

    body, approximate = _approx_prefix(body)
    if body.endswith("左右"):
        body, approximate = body[:-2], True

    # '$1964億' -> 1964e8 with unit '$'. Nothing may follow but a magnitude, since the unit
    # slot is taken ('$100美元', '$5M' stay None), and no sign: '$-5' is too odd to trust.
    currency = _CURRENCY.match(body)
    if currency:
        m = _ARABIC.fullmatch(body, currency.end())
        if not m or m.group("sign") or m.group("unit"):
            return None
        return NumberValue(_arabic_value(m), currency.group(0), False, approximate)

    ordinal = False
    if body.startswith("第"):
        body, ordinal = body[1:], True
    elif re.fullmatch(r"\d+\.", body):  # '1.' as a list-style position (pandoc's '1\.')
        return NumberValue(float(body[:-1]), None, True, approximate)

    m = _ARABIC.fullmatch(body)
    if m:
        unit = m.group("unit") or None
        if unit is not None and (not _UNIT_TEXT.fullmatch(unit) or _NOT_A_VALUE.search(unit)):
            return None
        if ordinal and (m.group("sign") or m.group("mag") or "." in m.group("num")):
            return None
        if ordinal and unit is not None and unit not in _ORDINAL_COUNTERS:
            return None
        return NumberValue(_arabic_value(m), unit, ordinal, approximate)

    # Chinese numerals: only bare, or with a counter from a closed list, because '一' and '十'
    # start ordinary words (第一夫人, 十月革命).
    m = re.fullmatch(rf"(负)?([{_CN_DIGITS}点]+)(.?)", body)
    if not m:
        return None
    unit = m.group(3) or None
    if unit is not None and unit not in _ORDINAL_COUNTERS:
        return None
    value = _chinese_numeral(m.group(2))
    if value is None:
        return None
    if m.group(1):
        if ordinal:
            return None
        value = -value
    return NumberValue(value, unit, ordinal, approximate)


# ---------------------------------------------------------------- columns


def infer_dtype(values: list[str], threshold: float = 0.8) -> str:
    """'date' | 'number' | 'text' for a column of cell texts.

    A column is 'date' when at least `threshold` of its non-empty cells parse as dates, else
    'number' likewise, else 'text'. Empty cells and placeholders (EMPTY_MARKERS) don't count;
    a column with none left is 'text'. Dates are tried first because `2011年` also reads as a
    number with unit 年.
    """
    cells = [v for v in values if isinstance(v, str) and v.strip() not in EMPTY_MARKERS]
    if not cells:
        return "text"
    if sum(parse_date(v) is not None for v in cells) >= threshold * len(cells):
        return "date"
    if sum(parse_number(v) is not None for v in cells) >= threshold * len(cells):
        return "number"
    return "text"
