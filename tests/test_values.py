"""pipeline.values: dates, numbers and column dtypes from Chinese cell text."""

from pathlib import Path

import pytest

from pipeline.values import DateValue, NumberValue, infer_dtype, parse_date, parse_number

DATA = Path(__file__).parent / "data" / "corpus" / "pandoc_md"


def day(iso):
    return DateValue(iso, iso, "day")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2011年4月28日", day("2011-04-28")),
        ("2012年6月", DateValue("2012-06-01", "2012-06-30", "month")),
        ("2012年2月", DateValue("2012-02-01", "2012-02-29", "month")),  # leap year
        ("2016年", DateValue("2016-01-01", "2016-12-31", "year")),
        ("618年", DateValue("0618-01-01", "0618-12-31", "year")),
        ("2012年6月1号", day("2012-06-01")),
        # ranges
        ("1989年11月6-7日", DateValue("1989-11-06", "1989-11-07", "day")),
        ("1989年11月6日－7日", DateValue("1989-11-06", "1989-11-07", "day")),
        ("1989年11月6日至7日", DateValue("1989-11-06", "1989-11-07", "day")),
        ("2011年4月-5月", DateValue("2011-04-01", "2011-05-31", "month")),
        ("2011年4月28日-5月2日", DateValue("2011-04-28", "2011-05-02", "day")),
        ("2011年12月-2012年1月", DateValue("2011-12-01", "2012-01-31", "month")),
        ("2011-2012年", DateValue("2011-01-01", "2012-12-31", "year")),
        ("2015年到2016年", DateValue("2015-01-01", "2016-12-31", "year")),
        # open end
        ("2015年－", DateValue("2015-01-01", None, "year")),
        ("2015年至今", DateValue("2015-01-01", None, "year")),
        ("2015年-至今", DateValue("2015-01-01", None, "year")),
        ("2011年4月28日起", DateValue("2011-04-28", None, "day")),
        # ROC years
        ("民國100年", DateValue("2011-01-01", "2011-12-31", "year")),
        ("民国100年5月", DateValue("2011-05-01", "2011-05-31", "month")),
        ("民國38年", DateValue("1949-01-01", "1949-12-31", "year")),
        # Chinese numerals, full-width digits
        ("二〇一二年三月五日", day("2012-03-05")),
        ("二零一二年", DateValue("2012-01-01", "2012-12-31", "year")),
        ("二〇一二年十二月三十一日", day("2012-12-31")),
        ("２０１２年", DateValue("2012-01-01", "2012-12-31", "year")),
        ("２０１２年６月１日", day("2012-06-01")),
        # ISO
        ("2012-06-01", day("2012-06-01")),
        ("2012-06", DateValue("2012-06-01", "2012-06-30", "month")),
        # date templates, when they reach us unrendered
        ("{{Start date|2011|4|28}}", day("2011-04-28")),
        ("{{start date and age|2011|4|28}}", day("2011-04-28")),
        ("{{Start date|2011|4|28|df=y}}", day("2011-04-28")),
        ("{{Start date|2011|4}}", DateValue("2011-04-01", "2011-04-30", "month")),
        # allowed noise
        (" 2011年4月28日 ", day("2011-04-28")),
        ("2011年4月28日（星期四）", day("2011-04-28")),
        ("2011年4月28日(周四)", day("2011-04-28")),
        ("约2012年", DateValue("2012-01-01", "2012-12-31", "year", approximate=True)),
        ("2012年前后", DateValue("2012-01-01", "2012-12-31", "year", approximate=True)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "日期",
        "2011年2月30日",  # no such day
        "2011年13月",
        "2月30日",
        "4月28日",  # no year: we don't guess one
        "2011年4月28日（星期五）",  # it was a Thursday: something is misread
        "2011年4月28日，四国总统举行峰会",  # a date inside a sentence
        "截至2014年4月",
        "2012年5月-4月",  # end before start
        "2015年3月-2016年",  # ends of different precision
        "5年",  # a duration, not the year 5
        "99年",
        "2012",  # a bare number
        "1980年代",
        "前221年",
        "{{Start date|2011|2|30}}",
        "{{Start date|year}}",
        "{{birth date|2011|4|28}}",
        "今",
        "2011年4月28日 (UTC)",
    ],
)
def test_parse_date_none(text):
    assert parse_date(text) is None


SEED_DATES = [
    ("2011年4月28日", "2011-04-28", "2011-04-28", "day"),
    ("2011年12月", "2011-12-01", "2011-12-31", "month"),
    ("2012年3月", "2012-03-01", "2012-03-31", "month"),
    ("2012年6月", "2012-06-01", "2012-06-30", "month"),
    ("2012年11月", "2012-11-01", "2012-11-30", "month"),
    ("2013年1月", "2013-01-01", "2013-01-31", "month"),
    ("2013年5月", "2013-05-01", "2013-05-31", "month"),
    ("2014年2月", "2014-02-01", "2014-02-28", "month"),
]


def test_seed_000_summit_table():
    # the 峰會 table of raw/000_…: 屆 (pandoc's '1\.', unescaped upstream) and 日期
    for text, start, end, precision in SEED_DATES:
        assert parse_date(text) == DateValue(start, end, precision)
    ordinals = [f"{n}." for n in range(1, 9)]
    assert [parse_number(t) for t in ordinals] == [
        NumberValue(float(n), None, ordinal=True) for n in range(1, 9)
    ]
    assert infer_dtype([t for t, *_ in SEED_DATES]) == "date"
    assert infer_dtype(ordinals) == "number"


def _dragonfly_rows():
    lines = (DATA / "maszh_Page_DragonFly_BSD.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("## 版本歷史")
    rows = [ln for ln in lines[start:] if ln.startswith("|")][2:]  # skip header and rule
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in rows]


def test_dragonfly_release_dates():
    rows = _dragonfly_rows()
    assert len(rows) == 26
    dates = [parse_date(date) for _, date in rows]
    assert all(d is not None and d.precision == "day" and d.start == d.end for d in dates)
    assert dates[0] == day("2004-07-12")
    assert dates[-1] == day("2018-12-03")
    assert [d.start for d in dates] == sorted(d.start for d in dates)
    assert infer_dtype([date for _, date in rows]) == "date"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("28名", NumberValue(28.0, "名")),
        ("1.", NumberValue(1.0, None, ordinal=True)),
        ("第8屆", NumberValue(8.0, "屆", ordinal=True)),
        ("第8届", NumberValue(8.0, "届", ordinal=True)),
        ("第八届", NumberValue(8.0, "届", ordinal=True)),
        ("第十二次", NumberValue(12.0, "次", ordinal=True)),
        ("1,234", NumberValue(1234.0)),
        ("1,234.5", NumberValue(1234.5)),
        ("3.5万", NumberValue(35000.0)),
        ("3.5萬人", NumberValue(35000.0, "人")),
        ("2亿", NumberValue(2e8)),
        ("2億美元", NumberValue(2e8, "美元")),
        ("1万亿", NumberValue(1e12)),
        ("12.5%", NumberValue(12.5, "%")),  # percent stays 12.5, unit says '%'
        ("-3", NumberValue(-3.0)),
        ("−3", NumberValue(-3.0)),  # U+2212 MINUS SIGN
        ("约100", NumberValue(100.0, approximate=True)),
        ("100人左右", NumberValue(100.0, "人", approximate=True)),
        ("１２３", NumberValue(123.0)),
        ("十二", NumberValue(12.0)),
        ("二十一万三千", NumberValue(213000.0)),
        ("负三", NumberValue(-3.0)),
        ("100 km²", NumberValue(100.0, "km2")),
        # a currency before the number is its unit, as written (like 美元 after it)
        ("$11,772", NumberValue(11772.0, "$")),
        ("US$1,964億", NumberValue(1964e8, "US$")),
        ("$1964億", NumberValue(1964e8, "$")),
        ("US$3.5万亿", NumberValue(3.5e12, "US$")),
        ("€3.5億", NumberValue(3.5e8, "€")),
        ("¥100", NumberValue(100.0, "¥")),
        ("￥100", NumberValue(100.0, "¥")),  # full-width yen, NFKC
        ("NT$500", NumberValue(500.0, "NT$")),
        ("HK$ 3", NumberValue(3.0, "HK$")),
        ("C$1.5", NumberValue(1.5, "C$")),
        ("£12", NumberValue(12.0, "£")),
        ("₩5000", NumberValue(5000.0, "₩")),
        ("RMB 100", NumberValue(100.0, "RMB")),
        ("usd100", NumberValue(100.0, "usd")),
        ("约$100", NumberValue(100.0, "$", approximate=True)),
        ("1,234 美元", NumberValue(1234.0, "美元")),
        ("+86", NumberValue(86.0)),  # a leading + is a sign
    ],
)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "智利",
        "1-2",  # a range has no single value
        "10-20人",
        "1~2",
        "100多",
        "100余人",
        "逾100",
        "100以上",
        "1,2",
        "1，234",  # Chinese comma: maybe two numbers
        "1、2",
        "2011年4月28日",  # a date
        "第一夫人",  # 一 starting a word
        "十月革命",
        "十月",
        "第-1",
        "第1.5届",
        "7国为观察员国",
        "1.5.",
        "1+1",
        "+",
        # currency with no number, or with more than a number after it
        "$",
        "USD",
        "A$B",
        "$三百",  # Chinese numerals only bare or with a counter
        "$100美元",  # two units
        "$5M",
        "$-5",
        "$1,2",
        "第$1",
    ],
)
def test_parse_number_none(text):
    assert parse_number(text) is None


def test_infer_dtype():
    assert infer_dtype(["1", "2", "", "N/A", "—", "-", "3"]) == "number"
    assert infer_dtype(["2011年", "2012年6月", "—"]) == "date"  # dates win over '2011' + 年
    assert infer_dtype(["智利", "秘鲁", "1"]) == "text"
    assert infer_dtype(["", "N/A"]) == "text"
    assert infer_dtype([]) == "text"
    # 4 of 5 parse: exactly the 80% threshold
    assert infer_dtype(["1", "2", "3", "4", "多"]) == "number"
    assert infer_dtype(["1", "2", "3", "多", "少"]) == "text"
    assert infer_dtype(["5年", "10年"]) == "number"  # durations, not years 5 and 10


# Never guess, never crash: any text gives a value or None.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELLISH = st.text(
    alphabet=st.sampled_from(list("0123456789年月日号至今起约第届名-－~.,%万亿十二〇零一三民國()（）星期四 $US€¥+")),
    max_size=16,
)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_CELLISH, st.text(max_size=12)))
def test_never_raises(text):
    d = parse_date(text)
    if d is not None:
        assert d.end is None or d.start <= d.end
        assert d.precision in ("day", "month", "year")
    n = parse_number(text)
    assert n is None or n.value == n.value  # never NaN
    assert infer_dtype([text]) in ("date", "number", "text")


def test_a_superscript_after_a_value_is_a_note_mark():
    from pipeline.values import parse_date, parse_number

    assert parse_number("14³").value == 14 and parse_number("10⁶").value == 1e6
    assert parse_number("5 km²").unit == "km2"
    assert parse_date("2009年2月27日²").start == "2009-02-27"


def test_a_leading_dot_decimal_is_a_number():
    from pipeline.values import parse_number

    assert parse_number(".985").value == 0.985 and parse_number(".") is None and parse_number("..5") is None


def test_a_bracketed_note_after_a_number_is_not_part_of_it():
    from pipeline.values import parse_number

    assert parse_number("9.0 kg (2006 数据)").value == 9.0 and parse_number("(3)") is None
