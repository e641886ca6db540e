"""pipeline.countries: Chinese/English names and IOC codes -> ISO 3166-1 alpha-2."""

import pytest

from pipeline import countries
from pipeline.countries import english_to_iso, ioc_to_iso, iso_code, zh_name

# raw/000_… (太平洋联盟), section 成员
SEED_000 = {
    # 正式成员国
    "智利": "CL",
    "哥伦比亚": "CO",
    "墨西哥": "MX",
    "秘鲁": "PE",
    # 候选成员国
    "哥斯达黎加": "CR",
    "巴拿马": "PA",
    # 观察员国
    "澳大利亚": "AU",
    "新西兰": "NZ",
    "加拿大": "CA",
    "乌拉圭": "UY",
    "西班牙": "ES",
    "日本": "JP",
    "危地马拉": "GT",
    "厄瓜多尔": "EC",
    "萨尔瓦多": "SV",
    "洪都拉斯": "HN",
    "巴拉圭": "PY",
    "多米尼加": None,  # DO or DM: the name alone doesn't say
    "法国": "FR",
    "葡萄牙": "PT",
    "中国": "CN",
    "美国": "US",
    "韩国": "KR",
    "土耳其": "TR",
    "英国": "GB",
    "德国": "DE",
    "瑞士": "CH",
    "荷兰": "NL",
    "意大利": "IT",
    "芬兰": "FI",
    "印度": "IN",
    "以色列": "IL",
    "摩洛哥": "MA",
    "新加坡": "SG",
}


def test_seed_000_members():
    assert len(SEED_000) == 4 + 2 + 28
    assert {name: iso_code(name) for name in SEED_000} == SEED_000


def test_link_target_decides():
    assert iso_code("多米尼加", "多米尼加共和国") == "DO"
    assert iso_code("多米尼加", "多米尼克") == "DM"
    assert iso_code("多米尼加", None) is None
    assert iso_code("韩国", "大韩民国") == "KR"
    assert iso_code("韩国", "朝鲜") is None  # the cell contradicts itself
    assert iso_code("", "智利") == "CL"


def test_seed_002_traditional():
    # raw/002_…: 澳洲、美國、日本、南韓、紐西蘭、加拿大及當時的東盟六國
    names = ["澳洲", "美國", "日本", "南韓", "紐西蘭", "加拿大", "東盟六國"]
    assert [iso_code(n) for n in names] == ["AU", "US", "JP", "KR", "NZ", "CA", None]


@pytest.mark.parametrize(
    "name, code",
    [
        ("智利（创始成员）", "CL"),
        ("智利 (创始成员)", "CL"),
        ("格鲁吉亚 (国家)", "GE"),  # a zhwiki disambiguated title
        ("刚果（布）", "CG"),  # CLDR's own brackets are part of the name
        ("刚果（金）", "CD"),
        ("中華台北", "TW"),
        ("中华台北", "TW"),
        ("香港", "HK"),
        ("澳門", "MO"),
        ("中国香港", "HK"),
        ("北韓", "KP"),
        ("朝鲜", "KP"),
        ("東帝汶", "TL"),
        ("台灣", "TW"),
        ("巴勒斯坦", "PS"),
        ("中华人民共和国", "CN"),
    ],
)
def test_iso_code(name, code):
    assert iso_code(name) == code


@pytest.mark.parametrize(
    "name",
    [
        "欧盟",
        "歐盟",
        "东盟",
        "东盟六国",
        "联合国",  # CLDR UN: not a country
        "世界",  # CLDR 001
        "拉丁美洲",  # CLDR 419
        "欧元区",
        "未知地区",  # CLDR ZZ
        "科索沃",  # XK is user-assigned, not ISO 3166-1
        "刚果",  # CG or CD
        "中华民国",  # 1912–1949 state or Taiwan today
        "霍克",  # a person (seed 002's 澳洲總理霍克)
        "习近平",
        "",
        "   ",
    ],
)
def test_iso_code_none(name):
    assert iso_code(name) is None


def test_aliases_only_add_what_cldr_lacks():
    cldr = countries.cldr_index()
    assert not [n for n in countries.ZH_ALIASES if countries._key(n) in cldr]
    assert set(countries.ZH_ALIASES.values()) <= countries.iso_codes()


def test_iso_codes_are_iso_3166_1():
    codes = countries.iso_codes()
    assert len(codes) == 249  # ISO 3166-1's officially assigned codes
    assert all(len(c) == 2 and c.isupper() for c in codes)
    assert not codes & {"EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ", "AC", "EA", "IC"}
    assert {"NA", "GB", "GR"} <= codes  # Namibia's 'NA' is not a missing value


@pytest.mark.parametrize(
    "code, iso",
    [
        ("BOL", "BO"),
        ("CHI", "CL"),
        ("PRC", "CN"),
        ("ROK", "KR"),
        ("HKG-CHN", "HK"),
        ("TPE", "TW"),
        ("{{TPE}}", "TW"),
        ("ROC", "TW"),
        ("DPRK", "KP"),
        ("MAC-CHN", "MO"),
        ("GER", "DE"),
        ("NED", "NL"),
        ("USA", "US"),
        ("NAM", "NA"),
        ("HKG", "HK"),
        # ISO alpha-3 and old IOC names of zhwiki's templates (ASEAN's member list)
        ("PHL", "PH"),
        ("VNM", "VN"),
        ("IDN", "ID"),
        ("SIN", "SG"),
        ("BRN", "BN"),  # ISO Brunei, not IOC Bahrain
    ],
)
def test_ioc_to_iso(code, iso):
    assert ioc_to_iso(code) == iso


@pytest.mark.parametrize("code", ["URS", "GDR", "KOS", "EUN", "XYZ", ""])
def test_ioc_to_iso_none(code):
    assert ioc_to_iso(code) is None


@pytest.mark.parametrize(
    "name, iso",
    [
        ("Russia", "RU"),
        ("Chile", "CL"),
        ("United States", "US"),
        ("People's Republic of China", "CN"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Hong Kong", "HK"),
        ("Côte d'Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("São Tomé and Príncipe", "ST"),
        ("The Bahamas", "BS"),
        ("Dominica", "DM"),
        ("Dominican Republic", "DO"),
        ("Namibia", "NA"),
        ("United Kingdom", "GB"),
    ],
)
def test_english_to_iso(name, iso):
    assert english_to_iso(name) == iso


@pytest.mark.parametrize(
    "name",
    [
        "Soviet Union",
        "East Germany",
        "Yugoslavia",
        "England",  # a home nation, no ISO 3166-1 code of its own
        "Kosovo",
        "European Union",
        "Georgia (U.S. state)",
        "New Mexico",
        "Brazilian Empire",
        "Mexico national football team",
        "",
    ],
)
def test_english_to_iso_none(name):
    assert english_to_iso(name) is None


def test_zh_name():
    assert zh_name("KR") == "韩国"
    assert zh_name("CL") == "智利"
    assert zh_name("GB") == "英国"
    with pytest.raises(KeyError):
        zh_name("EU")
    # rendering a template and reading it back gives the same code
    for code in ("BOL", "CHI", "PRC", "ROK", "TPE"):
        assert iso_code(zh_name(ioc_to_iso(code))) == ioc_to_iso(code)


def test_every_cldr_name_reads_back():
    # no two countries share a Simplified CLDR name, so rendering then reading is lossless
    for code in sorted(countries.iso_codes()):
        assert iso_code(zh_name(code)) == code, code
