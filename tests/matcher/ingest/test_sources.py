"""The source adapters on small hand-written junk rows, through the real pipeline.

Each file below imitates one published file's columns and its kinds of mess (empty names,
full country names, 5/10/17-digit HS codes, Korean-only countries, company name variants,
unmappable industries), so every keep/reject decision is checked end to end: the report's
lines, fields and reasons, and what was actually stored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from matcher.domain.enums import BuyerType, Industry
from matcher.ingest.kinds import get_kind
from matcher.ingest.pipeline import IngestReport, ingest_file
from matcher.ingest.sources import (
    AT_DUPLICATES,
    KOTRA_SOURCE,
    SMBA_SOURCE,
    buyer_hs_code,
    buyer_type_for,
    company_slug,
    industry_from_korean,
    parse_korean_address,
    readable_interest,
    resolve_country,
)
from matcher.storage.tables import BuyerRow, ExporterRow, NeedRow

WriteCsv = Callable[[str, Sequence[str], Sequence[Sequence[str]]], Path]

KOTRA_HEADER = ("record_id", "hs_code", "country", "buyer_name", "product_desc", "city")
SMBA_HEADER = ("record_id", "country_ko", "country", "product_ko", "inquiry_date")
AT_HEADER = (
    "record_id", "event", "venue", "year", "month", "day",
    "company", "industry_ko", "founded", "address", "homepage",
)  # fmt: skip


def _stored(sessions: sessionmaker[Session], table: Any) -> dict[str, dict[str, Any]]:
    """Every stored row of ``table`` as {external_id: {column: value}}."""
    with sessions() as session:
        rows = session.execute(select(table)).scalars().all()
        return {
            row.external_id: {c.key: getattr(row, c.key) for c in table.__table__.columns}
            for row in rows
        }


def _errors(report: IngestReport) -> dict[int, tuple[str, str]]:
    return {e.line: (e.field, e.reason) for e in report.errors}


def test_source_kinds_are_registered_with_the_files_own_columns() -> None:
    assert get_kind("kotra-sns-buyers").entity == "buyers"
    assert get_kind("smba-inquiries").entity == "needs"
    at = get_kind("at-companies")
    assert at.entity == "exporters"
    assert at.duplicates_expected == AT_DUPLICATES
    assert at.known_columns() == set(AT_HEADER)
    assert get_kind("kotra-sns-buyers").known_columns() == set(KOTRA_HEADER)
    assert get_kind("smba-inquiries").known_columns() == set(SMBA_HEADER)


# ---------------------------------------------------------------------------------------------
# KOTRA SNS buyers
# ---------------------------------------------------------------------------------------------

KOTRA_ROWS = [
    ["1", "330410", "PH", "Lazada", "lipsticks and cosmetics", "Quezon City"],  # line 2
    ["2", "330499", "PK", "", "beauty products", "Islamabad"],  # 3: no name -> rejected
    ["3", "330499", "Germany", "Hebe skin clinic", "Skin care", "Berlin"],  # 4
    ["4", "90121", "VN", "Cafe Trading Co", "coffee", "Ho Chi Minh City"],  # 5: lost zero
    ["5", "3304991000", "IN", "Eden Overseas", "cosmetics", "Pune"],  # 6: national line
    ["6", "12345678901234567", "US", "Acme", "machinery", "Austin"],  # 7: junk code
    ["7", "", "PH", "Bestco Supermarket", "food", "Cebu"],  # 8: no code
    ["8", "330499", "베트남", "Kim Beauty", "sweetrice_baking_kit", "Ha Noi"],  # 9
    ["9", "330499", "Athens", "BEAUTY PRINCESS", "beauty", "Greece"],  # 10: swapped
    ["10", "330499", "PK", "[redacted]", "cosmetics", "Karachi"],  # 11: rejected
    ["11", "330499", "Other", "Global Imports", "cosmetics", "Lagos"],  # 12: rejected
    ["12", "854140", "IN", "Sun Power", "solar_power_plant", "Chennai"],  # 13: HS 2017 code
    ["13", "330499", "PH", "Multi\nLine Shop", "beauty", "Manila"],  # 14-15: quoted newline
    ["14", "330499", "PH", ".", "beauty", "Manila"],  # 16: rejected
    ["15", "330499", "KG,RU", "Bishkek Traders", "beauty", "Bishkek"],  # 17
]


def test_kotra_buyers_keep_useful_rows_and_reject_unusable_ones(
    write_source_csv: WriteCsv, source_sessions: sessionmaker[Session]
) -> None:
    path = write_source_csv("kotra.csv", KOTRA_HEADER, KOTRA_ROWS)

    report = ingest_file("kotra-sns-buyers", path, source_sessions)

    assert report.rows_read == 15
    assert report.warnings == []
    errors = _errors(report)
    assert sorted(errors) == [3, 11, 12, 16]
    assert errors[3] == ("buyer_name", "is empty; a buyer without a name cannot be contacted")
    assert errors[11][0] == "buyer_name"
    assert "redacted" in errors[11][1]
    assert errors[12] == ("country", "'Other' is not a country we can recognise")
    assert errors[16] == ("buyer_name", "'.' has no letters; the buyer cannot be identified")
    assert report.counts.inserted == 11
    assert report.merged == 0

    stored = _stored(source_sessions, BuyerRow)
    assert len(stored) == 11
    lazada = stored["kotra-sns:1"]
    assert lazada["name"] == "Lazada"
    assert lazada["country"] == "PH"
    assert lazada["buyer_type"] == "e-commerce"
    assert lazada["hs_codes"] == ["330410"]
    assert lazada["interests"] == "lipsticks and cosmetics"
    assert lazada["source"] == KOTRA_SOURCE
    assert lazada["center"] is None
    assert lazada["notes"] is None

    assert stored["kotra-sns:3"]["country"] == "DE"  # "Germany"
    assert stored["kotra-sns:3"]["buyer_type"] == "hospital"
    assert stored["kotra-sns:4"]["hs_codes"] == ["090121"]  # 5 digits regain their zero
    assert stored["kotra-sns:4"]["buyer_type"] == "distributor"
    assert stored["kotra-sns:4"]["center"] == "SGN"
    assert stored["kotra-sns:5"]["hs_codes"] == ["330499"]  # 10-digit line cut to 6
    assert stored["kotra-sns:5"]["center"] == "BOM"

    junk = stored["kotra-sns:6"]  # a useful buyer with a junk code: kept, code in notes
    assert junk["hs_codes"] == []
    assert junk["notes"] == (
        "published HS code '12345678901234567' is not a valid HS code "
        "(has 17 digits; HS codes have at most 10)"
    )
    assert stored["kotra-sns:7"]["hs_codes"] == []
    assert stored["kotra-sns:7"]["notes"] is None
    assert stored["kotra-sns:7"]["buyer_type"] == "retailer"

    korean = stored["kotra-sns:8"]
    assert (korean["country"], korean["center"]) == ("VN", "HAN")
    assert korean["interests"] == "sweetrice baking kit"

    swapped = stored["kotra-sns:9"]
    assert (swapped["country"], swapped["city"]) == ("GR", "Athens")
    assert "'Athens'" in swapped["notes"]

    old_code = stored["kotra-sns:12"]
    assert old_code["hs_codes"] == ["8541"]
    assert "'854140'" in old_code["notes"]
    assert "heading 8541" in old_code["notes"]

    assert stored["kotra-sns:13"]["name"] == "Multi\nLine Shop"
    several = stored["kotra-sns:15"]
    assert several["country"] == "KG"
    assert "'KG,RU'" in several["notes"]


def test_kotra_reingest_writes_nothing(
    write_source_csv: WriteCsv, source_sessions: sessionmaker[Session]
) -> None:
    path = write_source_csv("kotra.csv", KOTRA_HEADER, KOTRA_ROWS)
    ingest_file("kotra-sns-buyers", path, source_sessions)

    again = ingest_file("kotra-sns-buyers", path, source_sessions)

    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 11)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("330410", ("330410", None)),
        ("90121", ("090121", None)),
        ("3304991000", ("330499", None)),
        ("8517", ("8517", None)),
        ("40310", ("0403", "published HS code '40310' is not in the current HS nomenclature; "
                   "kept its heading 0403")),
        ("1000", (None, "published HS code '1000' is not a valid HS code "
                  "(is not in the HS nomenclature)")),
        ("12345678901", (None, "published HS code '12345678901' is not a valid HS code "
                         "(has 11 digits; HS codes have at most 10)")),
        ("n/a", (None, "published HS code 'n/a' is not a valid HS code "
                 "(is empty or has no digits)")),
    ],
)  # fmt: skip
def test_buyer_hs_code(raw: str, expected: tuple[str | None, str | None]) -> None:
    assert buyer_hs_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PH", ("PH", False)),
        ("Germany", ("DE", False)),
        ("VIETNAM", ("VN", False)),
        ("UK", ("GB", False)),
        ("Mxico", ("MX", False)),  # México with its accent lost
        ("Trkiye", ("TR", False)),
        ("베트남", ("VN", False)),
        ("남아프리카공화국", ("ZA", False)),
        ("사우디아라비아", ("SA", False)),
        ("인도", ("IN", False)),
        ("미국", ("US", False)),
        ("타이", ("TH", False)),  # short form the ko translation lacks
        ("러시아연방", ("RU", False)),
        ("KG,RU", ("KG", True)),
        ("France / Spain / Canada", ("FR", True)),
        ("Other", (None, False)),
        ("도미니카", (None, False)),  # DO or DM: ambiguous, not guessed
        ("", (None, False)),
    ],
)
def test_resolve_country(raw: str, expected: tuple[str | None, bool]) -> None:
    assert resolve_country(raw) == expected


@pytest.mark.parametrize(
    ("name", "description", "expected"),
    [
        ("Amazon.com", "makeup", BuyerType.E_COMMERCE),
        ("Shopee", None, BuyerType.E_COMMERCE),
        ("Gaur Hospital", "Cosmetic", BuyerType.HOSPITAL),
        ("Hebe skin hair laser clinic", "botox", BuyerType.HOSPITAL),
        ("Pardeep Trading Company", "food", BuyerType.DISTRIBUTOR),
        ("One Master Distribution", "beauty", BuyerType.DISTRIBUTOR),
        ("Saveco wholesale", "food", BuyerType.WHOLESALER),
        ("Bestco Supermarket", "food", BuyerType.RETAILER),
        ("Geremy Store", "Machine", BuyerType.RETAILER),
        ("Smartphone Planet", "phones", BuyerType.OTHER),  # "mart" only as a word
        ("Medix", "hospital beds", BuyerType.OTHER),  # a product, not a hospital
        ("Medix", "importer of medical devices", BuyerType.DISTRIBUTOR),
        ("dawns cafe", "home small appliances", BuyerType.OTHER),
    ],
)
def test_buyer_type_rules(name: str, description: str | None, expected: BuyerType) -> None:
    assert buyer_type_for(name, description) is expected


def test_readable_interest() -> None:
    assert readable_interest("sweetrice_baking_kit") == "sweetrice baking kit"
    assert readable_interest("food,_beverage_&_agriculture") == "food, beverage & agriculture"
    assert readable_interest("_beauty") == "beauty"


# ---------------------------------------------------------------------------------------------
# SMBA inquiries
# ---------------------------------------------------------------------------------------------

SMBA_ROWS = [
    ["1", "스페인", "ES", "스포츠 테이프(Sports tape)", "2024-01-02"],  # line 2
    ["2", "베트남 ", "", "산업테이프", "2024-01-03"],  # 3: Korean-only country
    ["3", "남아프리카공화국", "", "AC 모터(AC motor)", "2024-01-04"],  # 4
    ["4", "사우디아라비아", "", "인큐베이터", "2024-01-04"],  # 5
    ["5", "인도", "", "조미김", "2024-01-05"],  # 6
    ["6", "미국", "", "스킨케어", "2024-01-05"],  # 7
    ["7", "타이", "", "감말랭이", "2024-01-05"],  # 8
    ["8", "반려동물 식기", "", "반려동물 식기", "2024-03-22"],  # 9: no country, still a need
    ["9", "중국", "CN", "", "2024-01-02"],  # 10: no product -> rejected
    ["10", "중국", "CN", "SMPS", "2024-01-02"],  # 11: English-only text
    ["11", "일본", "JP", "감말랭이", "2024-13-45"],  # 12: impossible date
]


def test_smba_inquiries_become_open_needs(
    write_source_csv: WriteCsv, source_sessions: sessionmaker[Session]
) -> None:
    path = write_source_csv("smba.csv", SMBA_HEADER, SMBA_ROWS)

    report = ingest_file("smba-inquiries", path, source_sessions)

    assert report.rows_read == 11
    assert report.warnings == []
    assert _errors(report) == {
        10: ("product_ko", "is empty; an inquiry without a product cannot be matched")
    }
    assert report.counts.inserted == 10

    stored = _stored(source_sessions, NeedRow)
    first = stored["smba:1"]
    assert first["country"] == "ES"
    assert first["text"] == "스포츠 테이프(Sports tape)"
    assert first["language"] == "ko"
    assert first["received_on"] == dt.date(2024, 1, 2)
    assert first["status"] == "open"
    assert first["source"] == SMBA_SOURCE
    assert first["buyer_id"] is None
    countries = {ext: row["country"] for ext, row in stored.items()}
    assert countries == {
        "smba:1": "ES",
        "smba:2": "VN",
        "smba:3": "ZA",
        "smba:4": "SA",
        "smba:5": "IN",
        "smba:6": "US",
        "smba:7": "TH",
        "smba:8": None,
        "smba:10": "CN",
        "smba:11": "JP",
    }
    assert stored["smba:10"]["language"] == "en"
    assert stored["smba:11"]["received_on"] is None  # kept; the date is left out

    again = ingest_file("smba-inquiries", path, source_sessions)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 10)


# ---------------------------------------------------------------------------------------------
# aT export-meeting companies
# ---------------------------------------------------------------------------------------------


def _at_row(record_id: str, company: str, industry: str, founded: str, address: str,
            homepage: str) -> list[str]:  # fmt: skip
    return [record_id, "2018 BKF", "aT center", "2018", "2", "22", company, industry, founded,
            address, homepage]  # fmt: skip


AT_ROWS = [
    _at_row("1", "HURUM CO.,LTD", "식품,잡화,무역", "1995.0",
            "115, Gasan digital 2-ro, Geumcheon-gu, Seoul", "hurumcorp.com/"),  # line 2
    _at_row("2", "Hurum Co., Ltd.", "무역", "1995.0", "", "N"),  # 3: merged
    _at_row("3", "[K05] HURUM CO., LTD", "식품", "", "", ""),  # 4: merged
    _at_row("4", "주식회사 참들", "제조업", "201.0", "FUTURE IN US", "없음"),  # 5
    _at_row("5", "(주)참들", "농산물", "2001.0", "", "www.chamdeul.co.kr"),  # 6: merged
    _at_row("6", "Korean pears cooperative union", "농업", "2012.0",
            "218, Dusan-gil, Munsan-eup, Jinju-si, Gyeongsangnam-do", "N"),  # 7
    _at_row("7", "", "식품", "2000.0", "", ""),  # 8: rejected
    _at_row("8", "Co., Ltd.", "식품", "2000.0", "", ""),  # 9: rejected
    _at_row("9", "Kwangdong Pharmaceutical Co.,Ltd", "양약, 자양강장제", "1963.0",
            "Wonju-si, Gangwon-do", "www. ekdp.com"),  # 10
]  # fmt: skip


def test_at_companies_merge_meetings_into_one_exporter(
    write_source_csv: WriteCsv, source_sessions: sessionmaker[Session]
) -> None:
    path = write_source_csv("at.csv", AT_HEADER, AT_ROWS)

    report = ingest_file("at-companies", path, source_sessions)

    assert report.rows_read == 9
    assert report.warnings == []  # meeting columns are deliberately ignored, not unknown
    assert _errors(report) == {
        8: ("company", "is empty; an exporter without a name cannot be identified"),
        9: ("company", "'Co., Ltd.' has no name besides its legal form"),
    }
    assert report.merged == 3
    assert report.merged_reason == AT_DUPLICATES
    assert report.counts.inserted == 4
    assert report.stored + report.merged + report.rejected == report.rows_read

    stored = _stored(source_sessions, ExporterRow)
    assert sorted(stored) == [
        "at:hurum",
        "at:koreanpearscooperativeunion",
        "at:kwangdongpharmaceutical",
        "at:참들",
    ]
    hurum = stored["at:hurum"]  # the first attendance is the one stored
    assert hurum["name_en"] == "HURUM CO.,LTD"
    assert hurum["name_ko"] is None
    assert hurum["industry"] == "food"
    assert hurum["industry_detail"] == "식품,잡화,무역"
    assert "식품,잡화,무역" in hurum["description"]
    assert hurum["founded_year"] == 1995
    assert (hurum["city"], hurum["province"]) == ("Seoul", None)
    assert hurum["homepage"] == "hurumcorp.com/"
    assert (hurum["markets"], hurum["languages"]) == ([], [])
    assert hurum["kind"] == "manufacturer"

    korean = stored["at:참들"]
    assert korean["name_ko"] == "주식회사 참들"
    assert korean["name_en"] is None
    # "제조업" (manufacturing) names no industry and "201.0" is a typo, not a year; the
    # company's later attendance (line 6) fills both, while the first row's text wins.
    assert korean["industry"] == "food"
    assert korean["industry_detail"] == "제조업"
    assert korean["founded_year"] == 2001
    assert (korean["city"], korean["province"]) == (None, None)  # kept despite the address
    assert korean["homepage"] == "www.chamdeul.co.kr"

    pears = stored["at:koreanpearscooperativeunion"]
    assert (pears["industry"], pears["city"], pears["province"]) == (
        "food",
        "Jinju-si",
        "Gyeongsangnam-do",
    )
    assert pears["homepage"] is None
    pharma = stored["at:kwangdongpharmaceutical"]
    assert pharma["industry"] == "pharmaceuticals"
    assert pharma["homepage"] == "www.ekdp.com"

    again = ingest_file("at-companies", path, source_sessions)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 4)


@pytest.mark.parametrize(
    "variant",
    [
        "SD Korea",
        "SD Korea Co., Ltd",
        "SD KOREA Co.,Ltd",
        "SD Korea CO., Ltd",
        "[K13] SD KOREA CO ., LTD",
        "sdkorea corporation",
        "(주)SD Korea",
        "SD Korea Inc.",
    ],
)
def test_company_name_variants_share_one_slug(variant: str) -> None:
    assert company_slug(variant) == "sdkorea"


def test_korean_legal_forms_are_ignored_in_slugs() -> None:
    assert company_slug("주식회사 참들") == company_slug("(주)참들") == company_slug("㈜ 참들")
    assert company_slug("(주)참들") == "참들"


def test_long_company_names_still_give_a_valid_external_id() -> None:
    slug = company_slug("The Marketing Firms In Common Of The Primary Cooperatives " * 3)
    assert len("at:" + slug) <= 64
    assert re.fullmatch(r"[\w.:\-/]+", "at:" + slug)
    assert slug != company_slug("The Marketing Firms In Common Of The Primary Cooperatives " * 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("식품,잡화,무역", Industry.FOOD),
        ("무역, 농수산물가공식품", Industry.FOOD),  # a food company that trades
        ("다류", Industry.FOOD),
        ("탁주, 약주", Industry.FOOD),
        ("맛김,미역,김,당면", Industry.FOOD),
        ("의약품/화장품/식품", Industry.PHARMACEUTICALS),  # first named wins
        ("화장품", Industry.COSMETICS),
        ("전분, 사료, 면류", Industry.FOOD),
        ("사료", Industry.FEED),
        ("자동차 부품", Industry.AUTO_PARTS),
        ("도소매", Industry.TRADING),
        ("수출입업,무역업", Industry.TRADING),
        ("전자상거래업", Industry.TRADING),
        ("컨설팅 및 인증업(할랄)", Industry.SERVICES),
        ("제조업", Industry.OTHER),
        ("생화", Industry.OTHER),
        ("Tea and Natural Beverage Concentration", Industry.FOOD),
    ],
)
def test_industry_from_korean(text: str, expected: Industry) -> None:
    assert industry_from_korean(text) is expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("562, Samseong-ro, Gangnam-gu, Seoul, Republic of Korea", ("Seoul", None)),
        ("159, Usangongdan-gil, Wonju-si, Gangwon-do", ("Wonju-si", "Gangwon-do")),
        ("135 ANSIN-RO ANGYE-MYEON UISEONG-GUN GYEONGSANGBUK-DO KOREA",
         ("Uiseong-gun", "Gyeongsangbuk-do")),
        ("No, 9-61, Yeongdong-gil,Hamchang-eup, Sangju city, Gyeongsangbuk-do, Korea",
         ("Sangju-si", "Gyeongsangbuk-do")),
        ("16,je4sandan1-ro,miyangmyeon,anseongsi,gyeonggido,korea",
         ("Anseong-si", "Gyeonggi-do")),
        ("14-7, Mugap-gil, Chowol-eup, Gwangju-si, Gyeonggi-do", ("Gwangju-si", "Gyeonggi-do")),
        ("NO 115-1808, 77, CHIPYONG-RO, SEO-GU, GWANGJU-CITY", ("Gwangju", None)),
        ("97, Centum jungang-ro, Haeundae-gu, Busan Metropolitan City", ("Busan", None)),
        ("303, Cheonjam-ro, Wansan-gu, Jeollabuk-do, 55069, S.Korea", (None, "Jeollabuk-do")),
        ("#68 derebatgil jeju-shi, Jeju-di", ("Jeju-si", "Jeju-do")),
        ("Harim Corporation", (None, None)),
        ("", (None, None)),
    ],
)  # fmt: skip
def test_parse_korean_address(address: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_korean_address(address) == expected


def test_values_that_cannot_be_placed_are_kept_as_notes(
    write_source_csv: WriteCsv, source_sessions: sessionmaker[Session]
) -> None:
    path = write_source_csv(
        "smba.csv",
        SMBA_HEADER,
        [
            ("1", "안도", "", "스포츠 테이프(Sports tape)", "2024-01-02"),
            ("2", "베트남", "", "AC 모터", "2024-13-45"),
        ],
    )
    report = ingest_file("smba-inquiries", path, source_sessions)
    assert report.counts.inserted == 2 and report.errors == []
    stored = _stored(source_sessions, NeedRow)
    assert stored["smba:1"]["country"] is None
    assert stored["smba:1"]["notes"] == "published country '안도' could not be recognised"
    assert stored["smba:2"]["country"] == "VN"
    assert stored["smba:2"]["received_on"] is None
    assert stored["smba:2"]["notes"] == "published inquiry date '2024-13-45' is not a date"
