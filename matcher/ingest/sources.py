"""Adapters for published source files (registered as ingest kinds).

Each adapter turns one row of a real public file, with the file's own column names, into the
fields of a validated record. The files are messy (see ``../shared/data/real/README.md``), so
the adapters follow one policy: keep a row whenever the entity is still useful, drop only the
unusable *part* of it (and say so in ``notes`` where the record has one), and reject a row only
when the entity itself is unusable, with a reason that names the file's column.

Adapters leave out fields they have no value for, rather than sending ``None``: the pipeline
treats a provided field as something to store, and a blank must never overwrite what another
source already stored.

Kinds registered here:

- ``kotra-sns-buyers``: KOTRA SNS-marketing buyer registrations -> ``BuyerRecord``
- ``smba-inquiries``: SMBA/KOSME buyer inquiries -> ``NeedRecord``
- ``at-companies``: aT export-meeting attendance -> ``ExporterRecord`` (one per company)
"""

from __future__ import annotations

import datetime as dt
import gettext
import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import Any

import pycountry

from matcher.domain import hscodes
from matcher.domain.centers import center_for
from matcher.domain.enums import BuyerType, Industry, NeedStatus
from matcher.ingest.kinds import IngestKind, SkipRow, register

# ---------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")
_REDACTED = re.compile(r"\[redacted\]", re.IGNORECASE)
_ID_CHARS = re.compile(r"^[\w.\-]+$")


def _has_letter(text: str) -> bool:
    """Any Unicode letter: a name of digits or punctuation only names no one."""
    return any(ch.isalpha() for ch in text)


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    """Leave out unknown values, so the record's defaults apply and stored values survive."""
    return {k: v for k, v in fields.items() if v is not None and v != "" and v != []}


def _record_id(row: dict[str, str], prefix: str) -> str:
    """``<prefix>:<record_id>``; a missing or malformed id (a stray fragment of a broken line)
    cannot be re-identified on the next load, so the row is rejected."""
    raw = row.get("record_id", "")
    if not raw:
        raise SkipRow("record_id", "is empty; the row cannot be identified on a later load")
    if not _ID_CHARS.match(raw) or len(prefix) + 1 + len(raw) > 64:
        raise SkipRow("record_id", f"'{raw[:60]}' is not a record number")
    return f"{prefix}:{raw}"


# ---------------------------------------------------------------------------------------------
# Countries
# ---------------------------------------------------------------------------------------------

# Spellings seen in the files that pycountry does not know: English short forms, endonyms,
# and names whose accented letters were lost on export ("México" -> "Mxico"). Keys are
# casefolded with accents, spaces and punctuation removed (see ``_country_key``).
_COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB",
    "greatbritain": "GB",
    "england": "GB",
    "великобритания": "GB",
    "uae": "AE",
    "usa": "US",
    "us": "US",
    "unitedstatesofamerica": "US",
    "america": "US",
    "estadosunidos": "US",
    "egyesltllamok": "US",  # Egyesült Államok
    "アメリカ合衆": "US",  # truncated アメリカ合衆国
    "アメリカ合衆国": "US",
    "美国": "US",
    "美": "US",
    "日本": "JP",
    "канада": "CA",
    "korea": "KR",
    "southkorea": "KR",
    "russia": "RU",
    "turkey": "TR",
    "trkiye": "TR",  # Türkiye
    "turkiye": "TR",
    "mxico": "MX",  # México
    "espaa": "ES",  # España
    "espana": "ES",
    "romnia": "RO",  # România
    "vitnam": "VN",  # Việt Nam
    "ctedivoire": "CI",  # Côte d'Ivoire
    "ivorycoast": "CI",
    "nederland": "NL",
    "netherland": "NL",
    "holland": "NL",
    "brasil": "BR",
    "repblicadominicana": "DO",  # República Dominicana
    "republicadominicana": "DO",
    "hongkongsar": "HK",
    "ελλδα": "GR",  # Ελλάδα with the accented letter lost
    "ελλαδα": "GR",
    "cameroun": "CM",
    "hrvatska": "HR",
    "nambia": "NA",  # Namíbia
    "panam": "PA",  # Panamá
    "sverige": "SE",
    "capeverde": "CV",
    "thegambia": "GM",
    "democraticrepublicofthecongo": "CD",
    "drcongo": "CD",
    "algrie": "DZ",  # Algérie
    "algerie": "DZ",
    "deutschland": "DE",
}

# Korean short forms and common misspellings that pycountry's Korean translation (the formal
# names) does not produce. Keys have spaces and hyphens removed. Ambiguous entries (도미니카:
# DO or DM; 버진아일랜드: VG or VI; 세인트마틴: MF or SX) are deliberately absent.
_KOREAN_COUNTRY_ALIASES: dict[str, str] = {
    "한국": "KR",
    "남한": "KR",
    "미국": "US",
    "마국": "US",  # typo of 미국
    "하와이": "US",
    "영국": "GB",
    "타이": "TH",
    "태국": "TH",
    "호주": "AU",
    "대만": "TW",
    "러시아": "RU",
    "이태리": "IT",
    "아랍에미레이트": "AE",
    "아랍에미리트": "AE",
    "예맨": "YE",
    "사이프러스": "CY",
    "시프러스": "CY",
    "키프로스": "CY",
    "브루나이": "BN",
    "부루나이": "BN",
    "남아프리카": "ZA",
    "남아공": "ZA",
    "남아프리카공화국": "ZA",
    "말레이상": "MY",  # typo of 말레이시아
    "네델란드": "NL",
    "네덜란드": "NL",
    "에디오피아": "ET",
    "싱가포로": "SG",
    "모르코": "MA",
    "마셜군도": "MH",
    "윌리스푸투나제도": "WF",
    "몬테네그": "ME",
    "부베제도": "BV",
    "건지": "GG",
    "코트티부아르": "CI",
    "고트디부아르": "CI",
    "알제리아": "DZ",
    "세이셀": "SC",
    "세이셸": "SC",
    "포클랜드": "FK",
    "포클랜드제도": "FK",
    "마요타": "YT",
    "배트남": "VN",
    "월남": "VN",
    "보스니아헤르체고비나": "BA",
    "포루투갈": "PT",
    "벨로루시": "BY",
    "카메론": "CM",
    "스발바르얀마엔제도": "SJ",
    "아프카니스탄": "AF",
    "몽골리아": "MN",
    "아르제바이잔": "AZ",
    "우르과이": "UY",
    "시에라레논": "SL",
    "파로에제도": "FO",
    "중국": "CN",
    "일본": "JP",
    "인도": "IN",
    "베트남": "VN",
    "독일": "DE",
    "프랑스": "FR",
    "캐나다": "CA",
    "멕시코": "MX",
    "사우디": "SA",
    "사우디아라비아": "SA",
}

_KEY_DROP = re.compile(r"[\W_]+")
# Several countries in one cell ("KG,RU", "France / Spain / Canada"): the first one is kept.
_COUNTRY_SPLIT = re.compile(r"[,/;|(]")


def _country_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _KEY_DROP.sub("", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@lru_cache(maxsize=1)
def _korean_country_names() -> dict[str, str]:
    """Korean country name -> alpha-2, from pycountry's own ``ko`` translation of ISO 3166-1
    (formal, short and common names), plus the hand-kept short forms above."""
    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ko"])
    table: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            english = getattr(country, attr, None)
            if not english:
                continue
            korean = translation.gettext(english)
            if korean != english:
                table.setdefault(_KEY_DROP.sub("", korean), str(country.alpha_2))
    table.update(_KOREAN_COUNTRY_ALIASES)
    return table


@lru_cache(maxsize=8192)
def _single_country(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        pass
    key = _country_key(text)
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    return _korean_country_names().get(_KEY_DROP.sub("", text))


@lru_cache(maxsize=8192)
def resolve_country(text: str) -> tuple[str | None, bool]:
    """ISO alpha-2 for a country as published: alpha-2/alpha-3, English, Korean, a handful of
    endonyms and mangled spellings. Returns ``(code, several)``; ``several`` is True when the
    cell listed more than one country and only the first was kept. ``(None, False)`` when no
    country can be recognised. Cached: the same few hundred spellings repeat 46k times."""
    code = _single_country(text)
    if code is not None:
        return code, False
    parts = [p for p in _COUNTRY_SPLIT.split(text) if p.strip()]
    if len(parts) > 1:
        for part in parts:
            code = _single_country(part)
            if code is not None:
                return code, True
    return None, False


# ---------------------------------------------------------------------------------------------
# HS codes
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def buyer_hs_code(raw: str) -> tuple[str | None, str | None]:
    """A published HS code as a buyer's interest: ``(code, note)``.

    Validation is ``hscodes.normalize`` (5-digit codes regain their zero, 10-digit lines are cut
    to 6). A subheading the current nomenclature lacks is usually a code from an older HS
    revision (``854140`` solar cells was split in HS 2022), so its heading is kept: the buyer
    still wants something in 8541. Whatever could not be kept as published is described in
    the note, so the raw code is never lost.
    """
    try:
        return hscodes.normalize(raw, allow_prefix=True), None
    except ValueError as exc:
        reason = str(exc)
    digits = hscodes.clean(raw)
    nearest = hscodes.nearest_known(raw) if 5 <= len(digits) <= 10 else None
    if nearest is not None and len(nearest) == 4:
        return nearest, (
            f"published HS code '{raw}' is not in the current HS nomenclature; "
            f"kept its heading {nearest}"
        )
    if reason.startswith(f"'{raw}'"):
        reason = reason[len(raw) + 3 :]
    return None, f"published HS code '{raw}' is not a valid HS code ({reason})"


# ---------------------------------------------------------------------------------------------
# KOTRA SNS buyers -> BuyerRecord
# ---------------------------------------------------------------------------------------------

KOTRA_SOURCE = "KOTRA SNS buyers 2025"

# Buyer type from keywords, first matching rule wins, so the most specific channel comes
# first (an "Amazon" importer is an e-commerce buyer). The name says what the buyer *is*;
# the description mostly says what it *buys*, so rules run on the name first and only then on
# the description, and the hospital rule never looks at the description ("hospital beds" is a
# product, not a hospital).
#   (buyer type, pattern on the lower-cased text, also applied to the description)
_BUYER_TYPE_RULES: tuple[tuple[BuyerType, re.Pattern[str], bool], ...] = (
    (
        BuyerType.E_COMMERCE,
        re.compile(
            r"\b(?:lazada|shopee|amazon|tiki|flipkart|tokopedia|jumia|meesho|e-?commerce"
            r"|online (?:shop|store))"
        ),
        True,
    ),
    (BuyerType.HOSPITAL, re.compile(r"\b(?:hospitals?|clinics?|medical cent(?:er|re))\b"), False),
    (
        BuyerType.DISTRIBUTOR,
        re.compile(r"\b(?:distribut\w*|trading|traders?|import\w*)"),
        True,
    ),
    (BuyerType.WHOLESALER, re.compile(r"\bwholesal\w*"), True),
    (
        BuyerType.RETAILER,
        re.compile(
            r"\b(?:(?:super|hyper|mini)?marts?|(?:super|hyper)markets?|stores?|shops?|retail\w*)\b"
        ),
        True,
    ),
)


def buyer_type_for(name: str, description: str | None) -> BuyerType:
    """Channel of a buyer from its name, else its description; ``other`` when neither says."""
    lowered_name = name.lower()
    for buyer_type, pattern, _ in _BUYER_TYPE_RULES:
        if pattern.search(lowered_name):
            return buyer_type
    if description:
        lowered = description.lower()
        for buyer_type, pattern, on_description in _BUYER_TYPE_RULES:
            if on_description and pattern.search(lowered):
                return buyer_type
    return BuyerType.OTHER


def readable_interest(text: str) -> str:
    """Category slugs read as words: ``food,_beverage_&_agriculture`` -> ``food, beverage &
    agriculture``, so text matching sees the same words as a typed description."""
    return _squash(text.replace("_", " "))


def _buyer_name(raw: str | None) -> str:
    if not raw:
        raise SkipRow("buyer_name", "is empty; a buyer without a name cannot be contacted")
    if not _has_letter(_REDACTED.sub("", raw)):
        if _REDACTED.search(raw):
            raise SkipRow(
                "buyer_name", f"'{raw[:60]}' is only redacted text; the buyer cannot be identified"
            )
        raise SkipRow("buyer_name", f"'{raw[:60]}' has no letters; the buyer cannot be identified")
    return raw


def kotra_buyer(row: dict[str, str]) -> dict[str, Any]:
    """One KOTRA SNS registration -> buyer fields (see the module policy)."""
    external_id = _record_id(row, "kotra-sns")
    name = _buyer_name(row.get("buyer_name"))
    notes: list[str] = []

    city = row.get("city")
    if city is not None:
        city = city[:300]  # a runaway city cell must not cost the buyer
    raw_country = row.get("country")
    if not raw_country:
        raise SkipRow("country", "is empty; a buyer must be placed in a country")
    country, several = resolve_country(raw_country)
    if country is None and city:
        # The city column sometimes holds the country: swapped cells ("Athens" / "Greece"),
        # or a broken country code ("T" / "Guatemala"), which is no city to keep.
        from_city, _ = resolve_country(city)
        if from_city is not None:
            notes.append(
                f"published country '{raw_country}' is not a country; "
                f"the city column names one, '{city}'"
            )
            country, city = from_city, (raw_country if len(raw_country) > 3 else None)
    if country is None:
        raise SkipRow("country", f"'{raw_country[:60]}' is not a country we can recognise")
    if several:
        notes.append(
            f"published country '{raw_country}' is not one country; kept the first named, {country}"
        )

    hs_codes: list[str] = []
    raw_hs = row.get("hs_code")
    if raw_hs:
        code, note = buyer_hs_code(raw_hs)
        if code is not None:
            hs_codes.append(code)
        if note is not None:
            notes.append(note)

    description = row.get("product_desc")
    interests = readable_interest(description) if description else None
    return _present(
        {
            "external_id": external_id,
            "name": name,
            "country": country,
            "city": city,
            "buyer_type": buyer_type_for(name, interests),
            "interests": interests,
            "hs_codes": hs_codes,
            "center": center_for(country, city),
            "notes": "; ".join(notes),
            "source": KOTRA_SOURCE,
        }
    )


# ---------------------------------------------------------------------------------------------
# SMBA inquiries -> NeedRecord
# ---------------------------------------------------------------------------------------------

SMBA_SOURCE = "SMBA inquiries 2024"


def _text_language(text: str) -> str | None:
    """``ko`` for text with Hangul; ``en`` for Latin-only text ("SMPS", "Vacuum Lorry"), which
    is about 4% of the ``product_ko`` column; None when neither."""
    if _HANGUL.search(text):
        return "ko"
    if _LATIN.search(text):
        return "en"
    return None


def _iso_date(text: str | None) -> str | None:
    """The date when it is one; an unreadable date is left out (the inquiry is still useful)."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def smba_need(row: dict[str, str]) -> dict[str, Any]:
    """One SMBA inquiry -> need fields. The ``country`` column is empty on ~3,300 rows whose
    Korean ``country_ko`` still names the country; a need whose country cannot be recognised
    is kept without one (its text is what gets matched)."""
    external_id = _record_id(row, "smba")
    text = row.get("product_ko")
    if not text:
        raise SkipRow("product_ko", "is empty; an inquiry without a product cannot be matched")
    country = None
    for column in ("country", "country_ko"):
        value = row.get(column)
        if value:
            country, _ = resolve_country(value)
            if country is not None:
                break
    notes: list[str] = []
    if country is None and (row.get("country") or row.get("country_ko")):
        placed = row.get("country") or row.get("country_ko")
        notes.append(f"published country '{placed}' could not be recognised")
    received = _iso_date(row.get("inquiry_date"))
    if received is None and row.get("inquiry_date"):
        notes.append(f"published inquiry date '{row['inquiry_date']}' is not a date")
    return _present(
        {
            "external_id": external_id,
            "country": country,
            "text": text,
            "language": _text_language(text),
            "received_on": received,
            "status": NeedStatus.OPEN,
            "source": SMBA_SOURCE,
            "notes": "; ".join(notes),
        }
    )


# ---------------------------------------------------------------------------------------------
# aT export-meeting companies -> ExporterRecord
# ---------------------------------------------------------------------------------------------

AT_DUPLICATES = "same company attending another aT export meeting"

# Booth numbers prefixed at some events: "[K08] EVERGOOD CORPORATION".
_BOOTH = re.compile(r"^\s*\[[^\]]*\]\s*")
# Korean legal-form markers, anywhere in the name.
_KOREAN_LEGAL = re.compile(
    r"\(\s*(?:주|유|사|재)\s*\)|㈜|주식회사|유한회사|농업회사법인|영농조합법인|사단법인|재단법인"
)
# Latin legal-form words, removed from the end of a name ("Co., Ltd", "CO.,LTD", "Corp.").
_LEGAL_WORDS = frozenset(
    {"co", "ltd", "inc", "corp", "corporation", "company", "limited", "llc", "coltd", "plc"}
)
_WORDS = re.compile(r"[^\W_]+")
_MAX_SLUG = 64 - len("at:")


def company_slug(name: str) -> str:
    """The identity of a company name: booth number and legal form dropped, case and
    punctuation ignored, words joined ("Good morning Korea CO.,LTD" and "[K13] GOOD MORNING
    KOREA CO., LTD" and "GoodMorningKorea" -> ``goodmorningkorea``). Spacing is ignored
    because romanised Korean names are spaced inconsistently ("Young Poong"/"Youngpoong")."""
    text = _KOREAN_LEGAL.sub(" ", _BOOTH.sub("", name)).casefold()
    words = _WORDS.findall(text)
    while words and words[-1] in _LEGAL_WORDS:
        words.pop()
    while words and words[0] in _LEGAL_WORDS:
        words.pop(0)
    slug = "".join(words)
    if len(slug) > _MAX_SLUG:
        digest = hashlib.sha1(slug.encode()).hexdigest()[:8]
        slug = f"{slug[: _MAX_SLUG - 9]}-{digest}"
    return slug


# Industry from the Korean free text. Each industry lists its keywords (regex fragments,
# whitespace-separated; most are plain words). Product industries outrank the trading
# channel, which outranks services: "무역, 농수산물가공식품" is a food company that trades.
# Among product industries the keyword that appears first wins ("의약품/화장품/식품" ->
# pharmaceuticals). Generic words (제조 manufacturing, 가공 processing) name no industry.
_PRODUCT_KEYWORDS: dict[Industry, str] = {
    # Food and drink, the bulk of aT's companies. 김 (laver), 면 (noodles) and 차 (tea) count
    # only as words of their own, so 김포, 면세 and 자동차 do not.
    Industry.FOOD: r"""
        식품 식료 음식 음료 식음료 차류 다류 녹차 꽃차 허브차 액상차 국산차 커피 주류 탁주 약주
        소주 막걸리 리큐르 과실주 장류 된장 고추장 간장 청국장 농산 농식품 농수산 농축산 농수축산
        농임산 임산물 수산 축산 김치 절임 반찬 과자 제과 제빵 빵 떡 사탕 캔디 초콜 코코아 스낵
        스넥 건강 기능성 홍삼 인삼 흑삼 새싹삼 버섯 곡물 곡류 쌀 면류 국수 라면 생면 당면 잼
        조청 양봉 꿀 견과 넛트 시리얼 씨리얼 선식 유가공 유제품 낙농 두유 분유 연유 발효 유산균
        빙과 식용유지 식물성\s?유지 참기름 들기름 조미 소스 드레싱 양념 식초 첨가물 젓갈 해조
        미역 김양식 김자반 육가공 식육 양계 육계 통조림 과일 과실 채소 야채 청과 곶감 도라지
        마늘 더덕 나물 아로니아 딸기 작물 재배 농업 이유식 영유아 유아식 급식 한식 음식점
        식품접객 누룽지 한과 전분 제분 밀가루 설탕 생수 해양심층수 숙취
        김(?![가-힣]) (?<![가-힣])면(?![가-힣]) (?<![가-힣])차(?![가-힣])
        \bfood \bbeverage \btea\b \bcoffee
    """,
    Industry.FEED: "사료 펫푸드",
    Industry.COSMETICS: r"화장품 코스메틱 뷰티 비누 \bcosmetic",
    Industry.PHARMACEUTICALS: "의약품 양약 한약 제약 자양강장제",
    Industry.AGROCHEMICALS: "농약 비료",
    Industry.CHEMICALS: "화학",
    Industry.MEDICAL_DEVICES: "의료기",
    Industry.AGRI_MACHINERY: "농기계 농업기계",
    Industry.AUTO_PARTS: r"자동차\s?부품",
    Industry.VEHICLES: "자동차 차량",
    Industry.INDUSTRIAL_MACHINERY: "기계",
    Industry.PLASTICS: "플라스틱 합성수지",
    Industry.PAPER: "제지 종이",
    Industry.ELECTRONICS: "전자부품 전자제품 전기전자",
    Industry.SEMICONDUCTOR_EQUIPMENT: "반도체",
    Industry.TEXTILES: "섬유 의류",
    Industry.JEWELLERY: "귀금속 주얼리",
    Industry.METALS: "금속 철강",
    Industry.CONSUMER_GOODS: "잡화 생활용품 소비재",
}
_TRADING_KEYWORDS = (
    r"무역 수출 수입 도매 소매 도소매 유통 판매 중개 오퍼 상사 전자상거래 \btrad(?:e|ing)\b"
)
_SERVICE_KEYWORDS = (
    "서비스 컨설팅 임대 물류 창고 연구개발 인증 용역 금융 부동산 프랜차이즈 전시 체험"
)


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    # Longest first, so at one position "자동차" wins over "차" and "전자상거래" over "전자".
    ordered = sorted(patterns, key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in ordered), re.IGNORECASE)


_PRODUCT_PATTERNS = [
    (re.compile(p, re.IGNORECASE), industry)
    for industry, words in _PRODUCT_KEYWORDS.items()
    for p in words.split()
]
_PRODUCT_ANY = _alternation([p.pattern for p, _ in _PRODUCT_PATTERNS])
_TRADING_ANY = _alternation(_TRADING_KEYWORDS.split())
_SERVICE_ANY = _alternation(_SERVICE_KEYWORDS.split())


@lru_cache(maxsize=2048)
def industry_from_korean(text: str) -> Industry:
    """The ``Industry`` a Korean industry description names; ``other`` when it names none."""
    match = _PRODUCT_ANY.search(text)
    if match is not None:
        found = match.group(0)
        for pattern, industry in _PRODUCT_PATTERNS:
            if pattern.fullmatch(found):
                return industry
    if _TRADING_ANY.search(text):
        return Industry.TRADING
    if _SERVICE_ANY.search(text):
        return Industry.SERVICES
    return Industry.OTHER


def _spellings(table: dict[str, str]) -> dict[str, str]:
    """{canonical: "spelling spelling ..."} -> {spelling: canonical}."""
    return {word: canonical for canonical, words in table.items() for word in words.split()}


# Korean provinces (도) by the spellings seen in addresses, as keys: lower case, letters only.
_PROVINCES: dict[str, str] = _spellings(
    {
        "Gyeonggi-do": "gyeonggido gyeonggi kyunggido kyeonggido gyunggido geonggido gyednggido",
        "Gangwon-do": "gangwondo gangwon kangwondo",
        "Chungcheongbuk-do": "chungcheongbukdo chungbuk chungcheongbuk choongchungbukdo "
        "choongbookdo choongbook",
        "Chungcheongnam-do": "chungcheongnamdo chungnam chungcheongnam choongchungnamdo "
        "chungcheonnamdo",
        "Jeollabuk-do": "jeollabukdo jeolabukdo jeonbuk jeollabuk jeonrabukdo chollabukdo",
        "Jeollanam-do": "jeollanamdo jeolanamdo jeonnam jeollanam jeonranamdo chollanamdo",
        "Gyeongsangbuk-do": "gyeongsangbukdo gyeongbuk kyungsangbukdo kyeongsangbukdo kyeongbuk "
        "gyungsangbukdo kyungbuk gyeongsangbuk gyongbuk",
        "Gyeongsangnam-do": "gyeongsangnamdo gyeongnam kyungsangnamdo kyeongsangnamdo kyungnam "
        "gyungsangnamdo gyeongsangnam gyeongsagnamdo",
        "Jeju-do": "jejudo jejudi jejuspecialselfgoverningprovince",
    }
)
# Metropolitan and special cities: province-level themselves, so they are the city and no
# province is set.
_METRO_CITIES: dict[str, str] = _spellings(
    {
        "Seoul": "seoul",
        "Busan": "busan pusan",
        "Daegu": "daegu taegu",
        "Incheon": "incheon inchon",
        "Gwangju": "gwangju kwangju",
        "Daejeon": "daejeon taejon",
        "Ulsan": "ulsan",
        "Sejong": "sejong",
    }
)
# "Gwangju-si" is a city in Gyeonggi-do, not the metropolitan city Gwangju.
_SI_NOT_METRO = frozenset({"gwangju"})
# A city (-si, "city") or county (-gun) word, hyphenated or glued: "Wonju-si", "anseongsi",
# "Jecheoncity", "Goesan-Kun".
_PLACE_WORD = re.compile(r"^(?P<base>[a-z][a-z\-]*?)[-_]?(?P<unit>si|shi|city|gun|kun)$")
_UNIT_WORDS = frozenset({"si", "shi", "city", "gun", "kun"})
_NOT_A_PLACE = frozenset({"special", "metropolitan", "self", "governing"})
_ADDRESS_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-_]*")


def _place(base: str, unit: str, province: str | None) -> tuple[str | None, str | None]:
    """(city, county) named by a base word and its unit."""
    if unit in ("gun", "kun"):
        return None, f"{base.capitalize()}-gun"
    if base in _METRO_CITIES and not (unit in ("si", "shi") and base in _SI_NOT_METRO):
        return _METRO_CITIES[base], None
    return f"{base.capitalize()}-si", None


def parse_korean_address(address: str) -> tuple[str | None, str | None]:
    """Best-effort ``(city, province)`` from a romanised Korean address, which runs from the
    street up to the province: "…, Gangnam-gu, Seoul, Republic of Korea" -> ("Seoul", None);
    "…, Wonju-si, Gangwon-do" -> ("Wonju-si", "Gangwon-do"). A county (-gun) stands in for the
    city when no city is named. Anything unrecognised gives None; no row is rejected for it."""
    keys = [w.lower() for w in _ADDRESS_WORD.findall(address)]
    province: str | None = None
    city: str | None = None
    county: str | None = None
    # Walk from the end (largest unit) towards the street; the first find of each kind wins.
    for index in range(len(keys) - 1, -1, -1):
        key = keys[index]
        flat = re.sub(r"[^a-z]", "", key)
        if province is None and flat in _PROVINCES:
            province = _PROVINCES[flat]
            continue
        if city is not None or key in _UNIT_WORDS or key in _NOT_A_PLACE:
            continue
        following = keys[index + 1] if index + 1 < len(keys) else ""
        found_city: str | None = None
        found_county: str | None = None
        if following in _UNIT_WORDS and key.isalpha():  # "Sangju city", "Hanam si"
            found_city, found_county = _place(key, following, province)
        elif (match := _PLACE_WORD.match(key)) is not None:
            found_city, found_county = _place(match["base"], match["unit"], province)
        elif flat in _METRO_CITIES:
            found_city = _METRO_CITIES[flat]
        city = found_city
        county = county or found_county
    return city or county, province


def _founded_year(text: str | None) -> int | None:
    """Founding year from "1970.0"; typos such as "201.0" are left out, not guessed."""
    if not text:
        return None
    try:
        year = int(float(text))
    except (ValueError, OverflowError):  # "unknown", "inf"
        return None
    return year if 1800 <= year <= dt.date.today().year else None


def _homepage(text: str | None) -> str | None:
    """A web address, with stray spaces removed; placeholders ("N", "없음", "www") are not."""
    if not text:
        return None
    url = text.replace(" ", "").strip(".,")
    if "." not in url or "," in url or not _LATIN.search(url):
        return None
    return url[:300]


def at_company(row: dict[str, str]) -> dict[str, Any]:
    """One aT meeting attendance -> exporter fields; rows of the same company share the id."""
    raw_name = row.get("company")
    if not raw_name:
        raise SkipRow("company", "is empty; an exporter without a name cannot be identified")
    slug = company_slug(raw_name)
    if not slug:
        raise SkipRow("company", f"'{raw_name[:60]}' has no name besides its legal form")
    display = _squash(_BOOTH.sub("", raw_name))
    without_legal = _squash(_KOREAN_LEGAL.sub(" ", display))
    # A Hangul name is the Korean name; "(주)Phyto Corporation" is an English one.
    korean = bool(_HANGUL.search(without_legal))
    names = {"name_ko": display} if korean else {"name_en": without_legal}

    industry_text = row.get("industry_ko")
    city, province = parse_korean_address(row.get("address") or "")
    industry = industry_from_korean(industry_text) if industry_text else Industry.OTHER
    founded = _founded_year(row.get("founded"))
    notes = (
        f"published founding year '{row['founded']}' is not a year"
        if founded is None and row.get("founded")
        else None
    )
    return _present(
        {
            "external_id": f"at:{slug}",
            **names,
            # "other" is left implicit so it never overwrites a known industry from elsewhere.
            "industry": None if industry is Industry.OTHER else industry,
            "industry_detail": industry_text[:300] if industry_text else None,
            "description": (
                f"Industry as listed for aT export consultation meetings: {industry_text}"
                if industry_text
                else None
            ),
            "founded_year": founded,
            "notes": notes,
            "city": city,
            "province": province,
            "homepage": _homepage(row.get("homepage")),
        }
    )


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------

register(
    IngestKind(
        name="kotra-sns-buyers",
        entity="buyers",
        description="KOTRA SNS-marketing buyer registrations (kotra_sns_buyers.csv)",
        adapter=kotra_buyer,
        required_columns=("record_id", "hs_code", "country", "buyer_name", "product_desc", "city"),
    )
)
register(
    IngestKind(
        name="smba-inquiries",
        entity="needs",
        description="SMBA/KOSME buyer inquiries (smba_inquiries.csv)",
        adapter=smba_need,
        required_columns=("record_id", "country_ko", "country", "product_ko", "inquiry_date"),
    )
)
register(
    IngestKind(
        name="at-companies",
        entity="exporters",
        description="aT export consultation meeting attendance (at_export_meeting_companies.csv)",
        adapter=at_company,
        required_columns=("company", "industry_ko", "founded", "address", "homepage"),
        duplicates_expected=AT_DUPLICATES,
        # Meeting details: one attendance, not a property of the company.
        ignored_columns=frozenset({"record_id", "event", "venue", "year", "month", "day"}),
    )
)
