"""Name tables for demo firms, importers, places and center staff, as data.

Korean firm names are two romanised syllables plus an industry word and a legal form, written
in both scripts ("세진정밀(주)" / "Sejin Precision Co., Ltd."), because real registries carry
both and the matcher must cope with either. Importer names follow each country's conventions
("Công ty TNHH Thương mại …", "… Enterprises Pvt Ltd", "PT …", "… Sdn Bhd"). Cities are real,
and the importer cities are spelled so that ``centers.center_for`` assigns them.
"""

from __future__ import annotations

import unicodedata

from matcher.domain.enums import Industry, ServiceType

PROVINCE = "Jeollabuk-do"

# (hangul, romanisation) syllables for firm names.
KO_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("세", "se"),
    ("진", "jin"),
    ("한", "han"),
    ("대", "dae"),
    ("성", "sung"),
    ("명", "myung"),
    ("우", "woo"),
    ("신", "shin"),
    ("동", "dong"),
    ("광", "kwang"),
    ("영", "young"),
    ("일", "il"),
    ("태", "tae"),
    ("현", "hyun"),
    ("정", "jung"),
    ("호", "ho"),
    ("미", "mi"),
    ("수", "su"),
    ("원", "won"),
    ("금", "geum"),
    ("화", "hwa"),
    ("보", "bo"),
    ("창", "chang"),
    ("경", "kyung"),
    ("용", "yong"),
    ("덕", "deok"),
    ("산", "san"),
    ("국", "kuk"),
    ("남", "nam"),
    ("평", "pyung"),
    ("강", "kang"),
    ("해", "hae"),
    ("솔", "sol"),
    ("다", "da"),
    ("예", "ye"),
    ("윤", "yoon"),
    ("연", "yeon"),
    ("하", "ha"),
    ("나", "na"),
    ("온", "on"),
    ("새", "sae"),
    ("봄", "bom"),
    ("상", "sang"),
    ("도", "do"),
    ("인", "in"),
    ("석", "seok"),
    ("준", "jun"),
    ("재", "jae"),
    ("민", "min"),
    ("효", "hyo"),
    ("선", "sun"),
    ("유", "yu"),
    ("아", "a"),
    ("이", "ee"),
)

# Industry words (hangul, English) that end a firm's name.
FIRM_SUFFIXES: dict[Industry, tuple[tuple[str, str], ...]] = {
    Industry.FOOD: (("식품", "Foods"), ("푸드", "Food"), ("농산", "Agro"), ("F&B", "F&B")),
    Industry.FEED: (("사료", "Feed"), ("바이오텍", "Biotech"), ("애니텍", "Anitech")),
    Industry.COSMETICS: (
        ("코스메틱", "Cosmetics"),
        ("뷰티", "Beauty"),
        ("바이오", "Bio"),
        ("랩", "Lab"),
    ),
    Industry.AGRI_MACHINERY: (
        ("농기계", "Agricultural Machinery"),
        ("기계", "Machinery"),
        ("아그텍", "Agtech"),
    ),
    Industry.INDUSTRIAL_MACHINERY: (
        ("밸브", "Valve"),
        ("기계", "Machinery"),
        ("정밀", "Precision"),
        ("엔지니어링", "Engineering"),
        ("산업", "Industrial"),
        ("플랜트", "Plant"),
    ),
    Industry.CONSTRUCTION_MACHINERY: (
        ("중공업", "Heavy Industries"),
        ("건기", "Construction Equipment"),
    ),
    Industry.VEHICLES: (
        ("모터스", "Motors"),
        ("특장", "Special Vehicles"),
        ("자동차", "Automotive"),
    ),
    Industry.AUTO_PARTS: (
        ("오토텍", "Autotech"),
        ("정공", "Precision Industries"),
        ("산업", "Industrial"),
        ("모빌리티", "Mobility"),
    ),
    Industry.CHEMICALS: (
        ("화학", "Chemical"),
        ("켐", "Chem"),
        ("케미칼", "Chemical"),
        ("화성", "Hwasung Chemical"),
    ),
    Industry.AGROCHEMICALS: (
        ("그린케미칼", "Green Chemical"),
        ("작물보호", "Crop Science"),
        ("아그로", "Agro"),
    ),
    Industry.PHARMACEUTICALS: (
        ("제약", "Pharm"),
        ("약품", "Pharmaceutical"),
        ("바이오팜", "Biopharm"),
    ),
    Industry.MEDICAL_DEVICES: (
        ("메디칼", "Medical"),
        ("메디텍", "Meditech"),
        ("헬스케어", "Healthcare"),
    ),
    Industry.METALS: (
        ("금속", "Metal"),
        ("스틸", "Steel"),
        ("비철", "Non-Ferrous"),
        ("강관", "Steel Pipe"),
        ("피팅", "Fitting"),
    ),
    Industry.PLASTICS: (("플라스틱", "Plastics"), ("폴리텍", "Polytech"), ("산업", "Industrial")),
    Industry.PAPER: (("제지", "Paper"), ("페이퍼", "Paper")),
    Industry.ELECTRONICS: (("전자", "Electronics"), ("라이팅", "Lighting"), ("테크", "Tech")),
    Industry.SEMICONDUCTOR_EQUIPMENT: (
        ("세미텍", "Semitech"),
        ("테크", "Tech"),
        ("시스템", "Systems"),
    ),
    Industry.JEWELLERY: (("주얼리", "Jewelry"), ("귀금속", "Precious Metals")),
    Industry.CONSUMER_GOODS: (("리빙", "Living"), ("생활산업", "Living Industries")),
}

SERVICE_SUFFIXES: dict[ServiceType, tuple[tuple[str, str], ...]] = {
    ServiceType.DESIGN_BRANDING: (("디자인", "Design"), ("크리에이티브", "Creative")),
    ServiceType.IT_SOFTWARE: (("소프트", "Soft"), ("정보기술", "IT"), ("솔루션", "Solutions")),
    ServiceType.DIGITAL_HEALTH: (("헬스", "Health"), ("메디플랫폼", "Mediplatform")),
    ServiceType.ENGINEERING_PM: (("엔지니어링", "Engineering"), ("기술", "Technology")),
    ServiceType.CONTENT_MARKETING: (
        ("미디어", "Media"),
        ("콘텐츠", "Contents"),
        ("마케팅", "Marketing"),
    ),
    ServiceType.LOGISTICS: (
        ("로지스", "Logis"),
        ("해운항공", "Shipping & Air"),
        ("물류", "Logistics"),
    ),
    ServiceType.CERTIFICATION_CONSULTING: (("인증원", "Certification"), ("컨설팅", "Consulting")),
    ServiceType.INTERPRETATION_LOCALISATION: (("통번역", "Translation"), ("링구아", "Lingua")),
    ServiceType.MARKET_RESEARCH: (("리서치", "Research"), ("무역컨설팅", "Trade Consulting")),
    ServiceType.SMART_FACTORY: (("오토메이션", "Automation"), ("스마트팩토리", "Smart Factory")),
    ServiceType.AI_MANUFACTURING: (("AI랩", "AI Lab"), ("비전", "Vision")),
    ServiceType.AUTONOMOUS_DRIVING: (("모빌리티", "Mobility"), ("오토노머스", "Autonomous")),
    ServiceType.RENTAL_MAINTENANCE: (("렌탈", "Rental"), ("서비스", "Service")),
    ServiceType.MEDICAL_IT_TRAINING: (("메디인포", "Mediinfo"), ("헬스아카데미", "Health Academy")),
}

# (hangul prefix, hangul suffix, English suffix, weight): (주) and 주식회사 are both
# "Co., Ltd."; a sole proprietorship has no legal form at all (many one-person firms).
LEGAL_FORMS: tuple[tuple[str, str, str, float], ...] = (
    ("", "(주)", " Co., Ltd.", 0.50),
    ("주식회사 ", "", " Co., Ltd.", 0.15),
    ("", "", "", 0.25),
    ("", "(유)", " Ltd.", 0.05),
    ("농업회사법인 ", "(주)", " Agricultural Co., Ltd.", 0.05),
)

# The index of 농업회사법인 in LEGAL_FORMS, and who may use it.
AGRI_CORP_FORM = 4
FARM_INDUSTRIES: tuple[Industry, ...] = (Industry.FOOD, Industry.FEED, Industry.AGRI_MACHINERY)

# Korean cities: (English, hangul, base weight). The province's five export cities first.
KO_CITIES: tuple[tuple[str, str, float], ...] = (
    ("Jeonju", "전주", 0.28),
    ("Iksan", "익산", 0.18),
    ("Gunsan", "군산", 0.18),
    ("Wanju", "완주", 0.12),
    ("Jeongeup", "정읍", 0.08),
    ("Gimje", "김제", 0.06),
    ("Namwon", "남원", 0.03),
    ("Buan", "부안", 0.02),
    ("Gochang", "고창", 0.02),
    ("Imsil", "임실", 0.01),
    ("Sunchang", "순창", 0.01),
    ("Jinan", "진안", 0.01),
)

# Multipliers on the base weights: where each industry clusters (Iksan food cluster and
# jewellery, Gunsan and Wanju vehicles and machinery, Sunchang gochujang, Jinan ginseng...).
CITY_AFFINITY: dict[Industry, dict[str, float]] = {
    Industry.FOOD: {
        "Iksan": 2.0,
        "Sunchang": 6.0,
        "Imsil": 4.0,
        "Gochang": 3.0,
        "Buan": 3.0,
        "Jinan": 4.0,
        "Gunsan": 0.5,
    },
    Industry.FEED: {"Gimje": 3.0, "Jeongeup": 2.0},
    Industry.COSMETICS: {"Jeonju": 1.8, "Namwon": 3.0, "Wanju": 1.5},
    Industry.AGRI_MACHINERY: {"Gimje": 4.0, "Iksan": 1.5},
    Industry.INDUSTRIAL_MACHINERY: {"Gunsan": 2.0, "Iksan": 1.5, "Wanju": 1.3},
    Industry.CONSTRUCTION_MACHINERY: {"Gunsan": 3.0},
    Industry.VEHICLES: {"Wanju": 4.0, "Gunsan": 3.0},
    Industry.AUTO_PARTS: {"Wanju": 3.0, "Gunsan": 2.0, "Jeongeup": 1.5},
    Industry.CHEMICALS: {"Gunsan": 2.5, "Iksan": 1.5, "Jeongeup": 2.0},
    Industry.AGROCHEMICALS: {"Iksan": 2.0, "Gimje": 2.0},
    Industry.PHARMACEUTICALS: {"Wanju": 2.0, "Jeongeup": 2.0},
    Industry.MEDICAL_DEVICES: {"Jeonju": 1.5, "Wanju": 1.5},
    Industry.METALS: {"Gunsan": 2.5, "Iksan": 1.5},
    Industry.PLASTICS: {"Iksan": 2.0, "Gunsan": 1.5},
    Industry.PAPER: {"Jeonju": 1.5, "Gunsan": 2.0},
    Industry.SEMICONDUCTOR_EQUIPMENT: {"Wanju": 2.0, "Iksan": 1.5},
    Industry.JEWELLERY: {"Iksan": 6.0},
    Industry.SERVICES: {"Jeonju": 3.0},
}

# ---- Importers --------------------------------------------------------------------------------

# Regions of the importer population: (country, center area, cities with weights). Vietnam
# ~40% (Hanoi area ~25%, Ho Chi Minh City area ~15%), India ~40% (New Delhi area ~25%,
# Mumbai area ~15%), other ASEAN and Gulf ~20%.
BUYER_REGIONS: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    (
        "VN",
        0.25,
        (
            ("Hanoi", 0.60),
            ("Hai Phong", 0.12),
            ("Bac Ninh", 0.10),
            ("Hai Duong", 0.06),
            ("Hung Yen", 0.04),
            ("Vinh Phuc", 0.04),
            ("Quang Ninh", 0.04),
        ),
    ),
    (
        "VN",
        0.15,
        (
            ("Ho Chi Minh City", 0.65),
            ("Binh Duong", 0.12),
            ("Dong Nai", 0.10),
            ("Long An", 0.05),
            ("Can Tho", 0.04),
            ("Da Nang", 0.04),
        ),
    ),
    (
        "IN",
        0.25,
        (
            ("New Delhi", 0.45),
            ("Noida", 0.12),
            ("Gurugram", 0.12),
            ("Faridabad", 0.06),
            ("Ghaziabad", 0.05),
            ("Jaipur", 0.06),
            ("Ludhiana", 0.05),
            ("Chandigarh", 0.04),
            ("Kolkata", 0.05),
        ),
    ),
    (
        "IN",
        0.15,
        (
            ("Mumbai", 0.45),
            ("Pune", 0.15),
            ("Thane", 0.08),
            ("Ahmedabad", 0.10),
            ("Chennai", 0.08),
            ("Bengaluru", 0.08),
            ("Hyderabad", 0.06),
        ),
    ),
)
OTHER_COUNTRIES: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    ("TH", 0.25, (("Bangkok", 0.8), ("Chonburi", 0.2))),
    ("ID", 0.25, (("Jakarta", 0.7), ("Surabaya", 0.2), ("Bekasi", 0.1))),
    ("MY", 0.18, (("Kuala Lumpur", 0.7), ("Penang", 0.15), ("Johor Bahru", 0.15))),
    ("PH", 0.12, (("Manila", 0.75), ("Cebu", 0.25))),
    ("SG", 0.08, (("Singapore", 1.0),)),
    ("KH", 0.05, (("Phnom Penh", 1.0),)),
    ("AE", 0.07, (("Dubai", 0.85), ("Abu Dhabi", 0.15))),
)
LOCAL_LANGUAGE: dict[str, str] = {
    "VN": "vi",
    "IN": "hi",
    "TH": "th",
    "ID": "id",
    "MY": "ms",
    "PH": "en",
    "SG": "zh",
    "KH": "km",
    "AE": "ar",
}
EMAIL_TLD: dict[str, str] = {
    "VN": "com.vn",
    "IN": "co.in",
    "TH": "co.th",
    "ID": "co.id",
    "MY": "com.my",
    "PH": "com.ph",
    "SG": "com.sg",
    "KH": "com.kh",
    "AE": "ae",
}

VN_WORDS_1 = (
    "Minh",
    "Hoàng",
    "An",
    "Thành",
    "Việt",
    "Phú",
    "Tân",
    "Đại",
    "Hải",
    "Kim",
    "Sao",
    "Bình",
    "Hưng",
    "Thái",
    "Quang",
    "Gia",
    "Long",
    "Nam",
    "Đông",
    "Trường",
    "Hòa",
    "Phúc",
    "Ánh",
)
VN_WORDS_2 = (
    "Phát",
    "Long",
    "Phú",
    "Đạt",
    "Hàn",
    "Thịnh",
    "Hưng",
    "Việt",
    "Nam",
    "Ngân",
    "Mai",
    "An",
    "Khang",
    "Lộc",
    "Tín",
    "Sơn",
    "Anh",
    "Hà",
    "Linh",
    "Tiến",
    "Thành",
    "Minh",
)
VN_FORMS: tuple[tuple[str, float], ...] = (
    ("Công ty TNHH Thương mại {v}", 0.30),
    ("Công ty Cổ phần {v}", 0.18),
    ("Công ty TNHH {v} Việt Nam", 0.10),
    ("Công ty TNHH Xuất nhập khẩu {v}", 0.10),
    ("{a} Trading Co., Ltd", 0.22),
    ("{a} Import Export JSC", 0.10),
)
IN_WORDS_1 = (
    "Shree",
    "Sai",
    "Ganesh",
    "Om",
    "Bharat",
    "Krishna",
    "Laxmi",
    "Jai",
    "Shiv",
    "Royal",
    "Star",
    "Global",
    "Sunrise",
    "Apex",
    "Vardhman",
    "Balaji",
    "Raj",
    "Siddhi",
    "Arihant",
    "Mahavir",
    "Kaveri",
    "Indus",
    "Navkar",
    "Supreme",
)
IN_WORDS_2 = (
    "",
    "",
    "Agro",
    "Tech",
    "Exim",
    "Health",
    "Metals",
    "Foods",
    "Chem",
    "Motors",
    "Pharma",
    "Engineering",
    "Polymers",
    "Cosmo",
    "Life Sciences",
)
IN_FORMS: tuple[tuple[str, float], ...] = (
    ("{a} Enterprises Pvt Ltd", 0.32),
    ("{a} Impex Pvt. Ltd.", 0.18),
    ("{a} Industries Limited", 0.12),
    ("{a} Trading Company", 0.14),
    ("{a} Overseas LLP", 0.12),
    ("{a} Distributors", 0.12),
)
OTHER_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "TH": (
        ("Siam", "Thai", "Chao Phraya", "Sukjai", "Rungroj", "Charoen", "Srisawat", "Pattana"),
        ("{a} Co., Ltd.", "{a} Trading Co., Ltd.", "{a} Public Company Limited"),
    ),
    "ID": (
        ("Maju", "Jaya", "Sentosa", "Abadi", "Makmur", "Sejahtera", "Mitra", "Sukses", "Karya"),
        ("PT {a}", "PT {a} Indonesia", "CV {a}"),
    ),
    "MY": (
        ("Mega", "Prima", "Seri", "Bintang", "Cahaya", "Harmoni", "Gemilang", "Mutiara"),
        ("{a} Sdn Bhd", "{a} Trading Sdn Bhd", "{a} Marketing Sdn Bhd"),
    ),
    "PH": (
        ("Pacific", "Manila", "Luzon", "Golden", "Bayanihan", "Visayas", "Maharlika"),
        ("{a} Trading Inc.", "{a} Corporation", "{a} Distribution Inc."),
    ),
    "SG": (
        ("Lion", "Merlion", "Orchid", "Harbour", "Straits", "Temasek", "Raffles"),
        ("{a} Pte Ltd", "{a} Trading Pte Ltd"),
    ),
    "KH": (
        ("Angkor", "Mekong", "Royal", "Khmer", "Golden Lotus", "Phnom"),
        ("{a} Co., Ltd.", "{a} Import Export Co., Ltd."),
    ),
    "AE": (
        ("Al Noor", "Al Fajr", "Gulf Star", "Emirates", "Al Safa", "Desert Rose"),
        ("{a} General Trading LLC", "{a} Trading FZE"),
    ),
}

NOTES: tuple[str, ...] = (
    "Prefers FOB Busan quotes in USD.",
    "Met at the export center's product presentation.",
    "Asked for samples before any order.",
    "Pays by L/C at sight only.",
    "Visited the showroom; interested in private label.",
    "Slow to reply by email; reachable on Zalo/WhatsApp.",
    "Requested a K-SURE credit check before MOU.",
    "Wants exclusive distribution for the region.",
)

# ---- Center staff (actors of funnel events) -------------------------------------------------

STAFF: dict[str, tuple[str, ...]] = {
    "HAN": ("김민수", "박지현", "이정훈", "Nguyễn Thu Trang", "Trần Văn Hùng"),
    "SGN": ("오세진", "Lê Thị Mai", "Phạm Minh Khoa"),
    "DEL": ("최영호", "정수빈", "한상욱", "Priya Sharma", "Rahul Verma"),
    "BOM": ("윤하늘", "Ananya Iyer", "Vikram Desai"),
    "": ("김도윤", "서예린", "장민호"),  # the province's trade office at home
}


def ascii_fold(text: str) -> str:
    """Strip diacritics ("Đại Phát" -> "Dai Phat") for English trading names and e-mails."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str) -> str:
    """A lower-case ASCII token for web and e-mail domains."""
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())
