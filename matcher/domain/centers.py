"""The province's overseas export centers, as reference data.

Hanoi (2019) and New Delhi (2020) exist; firms asked for Ho Chi Minh City and Mumbai ("two
centers per country"), so they are listed as planned. ``center_for`` assigns an importer to
the center that would own the relationship, by country and city.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.domain.enums import CenterCode


@dataclass(frozen=True, slots=True)
class Center:
    code: CenterCode
    name_en: str
    name_ko: str
    country: str
    city: str
    opened_year: int | None
    active: bool
    # Lower-case fragments of city / region names this center covers first.
    coverage: tuple[str, ...]


CENTERS: tuple[Center, ...] = (
    Center(
        CenterCode.HANOI,
        "Hanoi Export Center",
        "하노이 수출지원센터",
        "VN",
        "Hanoi",
        2019,
        True,
        (
            "hanoi",
            "ha noi",
            "hà nội",
            "hai phong",
            "hải phòng",
            "bac ninh",
            "bắc ninh",
            "hai duong",
            "hải dương",
            "quang ninh",
            "quảng ninh",
            "vinh phuc",
            "thai nguyen",
            "nam dinh",
            "thanh hoa",
            "nghe an",
            "hung yen",
            "ha nam",
            "bac giang",
        ),
    ),
    Center(
        CenterCode.HO_CHI_MINH_CITY,
        "Ho Chi Minh City Export Center",
        "호치민 수출지원센터",
        "VN",
        "Ho Chi Minh City",
        None,
        False,
        (
            "ho chi minh",
            "hồ chí minh",
            "hcm",
            "saigon",
            "sài gòn",
            "binh duong",
            "bình dương",
            "dong nai",
            "đồng nai",
            "can tho",
            "cần thơ",
            "vung tau",
            "long an",
            "da nang",
            "đà nẵng",
            "nha trang",
            "bien hoa",
            "thu duc",
        ),
    ),
    Center(
        CenterCode.NEW_DELHI,
        "New Delhi Export Center",
        "뉴델리 수출지원센터",
        "IN",
        "New Delhi",
        2020,
        True,
        (
            "delhi",
            "new delhi",
            "noida",
            "gurgaon",
            "gurugram",
            "faridabad",
            "ghaziabad",
            "jaipur",
            "lucknow",
            "chandigarh",
            "ludhiana",
            "kanpur",
            "agra",
            "kolkata",
            "patna",
        ),
    ),
    Center(
        CenterCode.MUMBAI,
        "Mumbai Export Center",
        "뭄바이 수출지원센터",
        "IN",
        "Mumbai",
        None,
        False,
        (
            "mumbai",
            "bombay",
            "pune",
            "thane",
            "navi mumbai",
            "ahmedabad",
            "surat",
            "vadodara",
            "nagpur",
            "nashik",
            "goa",
            "bengaluru",
            "bangalore",
            "chennai",
            "hyderabad",
            "kochi",
            "coimbatore",
            "indore",
        ),
    ),
)

BY_CODE: dict[CenterCode, Center] = {c.code: c for c in CENTERS}

# Where a city matches no coverage list, the country's first (longest-running) center owns it.
_DEFAULT_FOR_COUNTRY = {"VN": CenterCode.HANOI, "IN": CenterCode.NEW_DELHI}


def center_for(country: str | None, city: str | None) -> CenterCode | None:
    """The center that owns an importer in ``country``/``city``; None outside Vietnam and India."""
    if not country:
        return None
    country = country.upper()
    if country not in _DEFAULT_FOR_COUNTRY:
        return None
    if city:
        lowered = city.lower()
        for center in CENTERS:
            if center.country == country and any(frag in lowered for frag in center.coverage):
                return center.code
    return _DEFAULT_FOR_COUNTRY[country]
