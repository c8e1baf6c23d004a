"""The demo product catalogue: what the province's firms make, as data.

Each ``ProductType`` follows one of the province's export items (domain.md: copper products,
fine chemicals, resins, agricultural and construction machinery, vehicles, agrochemicals,
pharmaceuticals, wire rods, paper, auto parts, feed, heat exchangers, plastic pipes and film,
jewellery, semiconductor equipment, silver) or an SME staple for Vietnam (food, cosmetics).
Industrial valves (HS 8481) and stainless pipes and fittings (HS 7304/7306/7307) are spelled
out in several types with varied English text, because the acceptance query "stainless steel
ball valves for a chemical plant" must find them.

Descriptions are built from templates in Korean, English and Vietnamese with slots, so that the
same product is described differently by different firms, as real catalogues are. A type whose
HS code depends on a slot (a fire truck and a crane truck are both "special-purpose vehicles"
but not the same subheading) names that slot in ``hs_slot``; its options line up with
``hs_codes``. Every code is checked against the nomenclature by ``validate_catalog``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from matcher.domain import hscodes
from matcher.domain.enums import Industry, ServiceType

TEXT_LANGUAGES = ("ko", "en", "vi")
_LANG_INDEX = {"ko": 0, "en": 1, "vi": 2}


class Term(NamedTuple):
    """One phrase in the three languages the demo texts are written in."""

    ko: str
    en: str
    vi: str

    def say(self, lang: str) -> str:
        """The phrase in ``lang``; languages without their own text fall back to English."""
        return self[_LANG_INDEX.get(lang, 1)]


def _same(*values: str) -> tuple[Term, ...]:
    """Slot options that read the same in every language (sizes, grades, standards)."""
    return tuple(Term(v, v, v) for v in values)


T = Term


@dataclass(frozen=True, slots=True)
class ProductType:
    key: str
    industry: Industry
    name: Term
    hs_codes: tuple[str, ...]
    price_usd: tuple[float, float]  # plausible FOB band for one price_unit
    price_unit: str
    moq: int
    moq_unit: str
    certifications: tuple[str, ...]
    en: tuple[str, ...]
    ko: tuple[str, ...]
    vi: tuple[str, ...]
    slots: Mapping[str, tuple[Term, ...]] = field(default_factory=dict)
    hs_slot: str | None = None
    weight: float = 1.0  # relative frequency within its industry

    def templates(self, lang: str) -> tuple[str, ...]:
        if lang == "ko":
            return self.ko
        if lang == "vi":
            return self.vi
        return self.en

    def slot_names(self) -> tuple[str, ...]:
        """Slots in a fixed order, so uniforms drawn per slot are reproducible."""
        return tuple(self.slots)


# ---------------------------------------------------------------------------------------------
# Shared slot vocabularies
# ---------------------------------------------------------------------------------------------

VALVE_MATERIAL = (
    T("스테인리스강 316", "stainless steel 316", "inox 316"),
    T("스테인리스강 304", "stainless steel 304", "inox 304"),
    T("스테인리스 CF8M 주강", "CF8M cast stainless steel", "thép không gỉ đúc CF8M"),
    T("탄소강(WCB)", "carbon steel (WCB)", "thép carbon WCB"),
    T("덕타일 주철", "ductile iron", "gang cầu"),
    T("황동", "forged brass", "đồng thau rèn"),
)
STAINLESS = (
    T("STS316L", "316L stainless steel", "inox 316L"),
    T("STS304", "304 stainless steel", "inox 304"),
    T("STS304L", "304L stainless steel", "inox 304L"),
    T("STS321", "321 stainless steel", "inox 321"),
    T("듀플렉스 2205", "duplex 2205 stainless steel", "inox duplex 2205"),
)
PIPE_SIZE = _same(
    'DN15 (1/2")',
    'DN25 (1")',
    'DN40 (1-1/2")',
    'DN50 (2")',
    'DN80 (3")',
    'DN100 (4")',
    'DN150 (6")',
    'DN200 (8")',
    'DN300 (12")',
)
PRESSURE = _same("PN16", "PN25", "PN40", "ANSI Class 150", "ANSI Class 300", "ANSI Class 600")
PLANT = (
    T("화학 플랜트", "chemical plants", "nhà máy hóa chất"),
    T("석유화학·정유 설비", "petrochemical and refinery units", "nhà máy lọc hóa dầu"),
    T("수처리·담수화 시설", "water treatment and desalination", "xử lý nước và khử mặn"),
    T("식품·음료 공정", "food and beverage processing", "chế biến thực phẩm và đồ uống"),
    T("발전소", "power plants", "nhà máy điện"),
    T("제약 공정", "pharmaceutical processing", "sản xuất dược phẩm"),
    T("조선·해양 플랜트", "shipbuilding and offshore", "đóng tàu và giàn khoan"),
    T("지역난방·HVAC", "district heating and HVAC", "hệ thống sưởi và điều hòa HVAC"),
    T("도시가스 설비", "gas distribution pipelines", "đường ống phân phối khí"),
)
VALVE_ENDS = (
    T("플랜지", "flanged", "mặt bích"),
    T("나사(NPT/BSPT)", "threaded (NPT/BSPT)", "ren NPT/BSPT"),
    T("맞대기 용접", "butt-weld", "hàn đối đầu"),
    T("소켓 용접", "socket-weld", "hàn lồng"),
)
ACTUATION = (
    T("레버 수동", "lever operated", "tay gạt"),
    T("기어 수동", "gear operated", "vô lăng hộp số"),
    T("공압 액추에이터", "pneumatic actuator", "bộ truyền động khí nén"),
    T("전동 액추에이터", "electric actuator", "bộ truyền động điện"),
)
FITTING_STANDARD = _same(
    "ASME B16.9", "ASTM A403 WP316L", "JIS B2312", "KS B1541", "EN 10253-4", "MSS SP-43"
)
TUBE_STANDARD = _same("ASTM A312", "ASTM A213", "ASTM A269", "JIS G3459", "KS D3576", "EN 10216-5")
FLOW = _same("10 m³/h", "25 m³/h", "60 m³/h", "120 m³/h", "300 m³/h")

# Food and cosmetics
FOOD_PACK = (
    T("소매용 파우치", "retail pouches", "túi bán lẻ"),
    T("선물세트", "gift sets", "hộp quà"),
    T("업소용 대용량", "bulk food-service packs", "bao bì lớn cho nhà hàng"),
)
SKIN_INGREDIENT = (
    T("히알루론산", "hyaluronic acid", "axit hyaluronic"),
    T("달팽이 점액", "snail mucin", "dịch nhầy ốc sên"),
    T("병풀(시카)", "centella asiatica (cica)", "rau má (cica)"),
    T("녹차", "green tea", "trà xanh"),
    T("홍삼", "red ginseng", "hồng sâm"),
    T("콜라겐", "marine collagen", "collagen biển"),
    T("나이아신아마이드", "niacinamide", "niacinamide"),
)
SKIN_EFFECT = (
    T("미백", "brightening", "làm sáng da"),
    T("주름 개선", "anti-wrinkle", "chống nhăn"),
    T("보습", "deep moisturising", "dưỡng ẩm sâu"),
    T("진정", "soothing for sensitive skin", "làm dịu da nhạy cảm"),
    T("모공 관리", "pore care", "se khít lỗ chân lông"),
)
VEHICLE_FIT = (
    T("현대·기아 차량", "Hyundai and Kia vehicles", "xe Hyundai và Kia"),
    T("상용 트럭·버스", "commercial trucks and buses", "xe tải và xe buýt thương mại"),
    T("농업용 트랙터", "agricultural tractors", "máy kéo nông nghiệp"),
    T("건설기계", "construction equipment", "máy xây dựng"),
)
CROP = (
    T("벼", "rice", "lúa"),
    T("옥수수", "maize", "ngô"),
    T("채소", "vegetables", "rau màu"),
    T("과수", "fruit orchards", "cây ăn quả"),
    T("커피·후추", "coffee and pepper", "cà phê và hồ tiêu"),
    T("면화", "cotton", "bông"),
)
ENGINE_HP = _same("50 hp", "60 hp", "75 hp", "90 hp", "100 hp")
MACHINE_CLASS = _same("1.7 t", "3.5 t", "5.5 t", "8 t", "14 t", "22 t", "30 t")

# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------

PRODUCT_TYPES: tuple[ProductType, ...] = (
    # ---- Food (the SME staple for Vietnam) ----------------------------------------------------
    ProductType(
        key="instant_noodles",
        industry=Industry.FOOD,
        name=T("라면", "instant noodles", "mì ăn liền"),
        hs_codes=("190230",),
        price_usd=(11.0, 24.0),
        price_unit="carton",
        moq=1000,
        moq_unit="carton",
        certifications=("HACCP", "ISO22000", "HALAL", "FDA"),
        slots={
            "flavor": (
                T("매운 소고기맛", "spicy beef", "bò cay"),
                T("해물맛", "seafood", "hải sản"),
                T("김치맛", "kimchi", "kim chi"),
                T("짜장맛", "black bean sauce", "tương đen"),
                T("치즈맛", "cheese", "phô mai"),
                T("불닭맛", "fire chicken", "gà cay"),
            ),
            "pack": (
                T("5입 멀티팩(120g)", "5-pack multipack (120 g)", "lốc 5 gói (120 g)"),
                T("컵라면 65g", "65 g cups", "ly 65 g"),
                T("용기면 110g", "110 g bowls", "tô 110 g"),
            ),
        },
        en=(
            "Korean {flavor} instant noodles, {pack}, shelf life 8 months",
            "{flavor} ramyeon in {pack} for supermarkets and convenience stores",
            "Instant noodles ({flavor} flavour), {pack}, 40 packs per carton",
        ),
        ko=("{flavor} 라면 {pack}, 유통기한 8개월", "{pack} {flavor} 라면 (박스당 40개입)"),
        vi=("Mì ăn liền Hàn Quốc vị {flavor}, {pack}, hạn sử dụng 8 tháng",),
        weight=1.5,
    ),
    ProductType(
        key="kimchi",
        industry=Industry.FOOD,
        name=T("김치", "kimchi", "kim chi"),
        hs_codes=("200599",),
        price_usd=(3.5, 9.0),
        price_unit="kg",
        moq=500,
        moq_unit="kg",
        certifications=("HACCP", "ISO22000", "FDA", "HALAL"),
        slots={
            "kind": (
                T("포기김치", "whole napa cabbage kimchi", "kim chi cải thảo nguyên cây"),
                T("맛김치", "sliced cabbage kimchi", "kim chi cải thảo cắt lát"),
                T("깍두기", "cubed radish kimchi (kkakdugi)", "kim chi củ cải"),
                T("총각김치", "young radish kimchi", "kim chi củ cải non"),
                T("비건 김치", "vegan kimchi", "kim chi thuần chay"),
            ),
            "pack": FOOD_PACK,
            "storage": (
                T("냉장 유통", "chilled", "bảo quản lạnh"),
                T("상온 캔", "ambient cans", "đóng lon nhiệt độ thường"),
            ),
        },
        en=(
            "{kind}, {storage}, in {pack}",
            "Traditional Korean {kind} ({storage}) packed in {pack}",
        ),
        ko=("{kind} {pack}, {storage}", "전통 방식 {kind}, {storage}"),
        vi=("{kind} Hàn Quốc, {storage}, đóng {pack}",),
        weight=1.2,
    ),
    ProductType(
        key="red_ginseng",
        industry=Industry.FOOD,
        name=T("홍삼 제품", "red ginseng products", "sản phẩm hồng sâm"),
        hs_codes=("130219", "210690"),
        hs_slot="form",
        price_usd=(18.0, 140.0),
        price_unit="box",
        moq=200,
        moq_unit="box",
        certifications=("GMP", "HACCP", "ISO22000", "HALAL"),
        slots={
            "form": (
                T("홍삼 농축액 240g", "red ginseng extract 240 g jar", "cao hồng sâm 240 g"),
                T(
                    "홍삼 스틱 10ml×30포",
                    "red ginseng sticks 10 ml x 30",
                    "nước hồng sâm gói 10 ml x 30",
                ),
            ),
            "origin": (
                T("진안산 6년근", "6-year-old roots from Jinan", "củ 6 năm tuổi vùng Jinan"),
                T("국내산 6년근", "6-year-old Korean roots", "củ sâm Hàn Quốc 6 năm tuổi"),
                T("4년근", "4-year-old roots", "củ 4 năm tuổi"),
            ),
        },
        en=(
            "Korean {form}, {origin}, ginsenoside Rg1+Rb1+Rg3 8 mg/g",
            "Premium {form} made from {origin}",
        ),
        ko=("{form}, {origin}, 진세노사이드 8mg/g", "{origin} {form}"),
        vi=("{form}, {origin}, ginsenoside 8 mg/g",),
    ),
    ProductType(
        key="snacks",
        industry=Industry.FOOD,
        name=T("과자", "snacks", "bánh snack"),
        hs_codes=("190590", "190410"),
        hs_slot="kind",
        price_usd=(9.0, 26.0),
        price_unit="carton",
        moq=500,
        moq_unit="carton",
        certifications=("HACCP", "ISO22000", "HALAL", "FDA"),
        slots={
            "kind": (
                T("쌀과자", "rice crackers", "bánh gạo"),
                T("옥수수 뻥튀기", "puffed corn snacks", "bánh bỏng ngô"),
            ),
            "taste": (
                T("허니버터", "honey butter", "bơ mật ong"),
                T("새우", "shrimp", "tôm"),
                T("김", "seaweed", "rong biển"),
                T("매콤 치즈", "spicy cheese", "phô mai cay"),
            ),
        },
        en=("{taste} {kind}, 24 bags per carton", "Korean {kind} with {taste} seasoning"),
        ko=("{taste} {kind} (박스당 24봉)",),
        vi=("{kind} vị {taste}, 24 gói mỗi thùng",),
    ),
    ProductType(
        key="seasoned_laver",
        industry=Industry.FOOD,
        name=T("조미김", "seasoned laver (gim)", "rong biển tẩm gia vị"),
        hs_codes=("200899", "121221"),
        hs_slot="kind",
        price_usd=(12.0, 35.0),
        price_unit="carton",
        moq=300,
        moq_unit="carton",
        certifications=("HACCP", "ISO22000", "HALAL", "FDA"),
        slots={
            "kind": (
                T("도시락김", "roasted seasoned laver snack packs", "snack rong biển tẩm"),
                T("곱창김 원초", "dried laver sheets", "lá rong biển khô"),
            ),
            "origin": (
                T("부안산", "from Buan", "vùng Buan"),
                T("고창산", "from Gochang", "vùng Gochang"),
                T("서해안산", "from the Korean west coast", "bờ biển phía tây Hàn Quốc"),
            ),
        },
        en=("{kind} {origin}, olive-oil roasted", "Korean {kind} {origin}, 72 packs per carton"),
        ko=("{origin} {kind}, 올리브유 구이",),
        vi=("{kind} Hàn Quốc {origin}",),
    ),
    ProductType(
        key="sauces",
        industry=Industry.FOOD,
        name=T("장류·소스", "sauces and pastes", "nước sốt"),
        hs_codes=("210390", "210310"),
        hs_slot="sauce",
        price_usd=(1.8, 9.0),
        price_unit="kg",
        moq=1000,
        moq_unit="kg",
        certifications=("HACCP", "ISO22000", "HALAL", "FDA"),
        slots={
            "sauce": (
                T(
                    "순창 고추장",
                    "Sunchang gochujang (red pepper paste)",
                    "tương ớt gochujang Sunchang",
                ),
                T("양조간장", "naturally brewed soy sauce", "nước tương lên men tự nhiên"),
            ),
            "pack": (
                T("500g 용기", "500 g tubs", "hộp 500 g"),
                T("1kg 용기", "1 kg tubs", "hộp 1 kg"),
                T("14kg 업소용", "14 kg food-service pails", "thùng 14 kg cho nhà hàng"),
            ),
        },
        en=("{sauce}, {pack}, traditional fermentation", "Korean {sauce} in {pack}"),
        ko=("{sauce} {pack}, 전통 발효",),
        vi=("{sauce}, {pack}, lên men truyền thống",),
    ),
    ProductType(
        key="beverages",
        industry=Industry.FOOD,
        name=T("음료", "beverages", "đồ uống"),
        hs_codes=("220299", "220210"),
        price_usd=(7.0, 19.0),
        price_unit="carton",
        moq=800,
        moq_unit="carton",
        certifications=("HACCP", "ISO22000", "HALAL", "FDA"),
        slots={
            "drink": (
                T("알로에 음료", "aloe vera drink", "nước nha đam"),
                T("식혜", "sweet rice punch (sikhye)", "nước gạo ngọt sikhye"),
                T("유자차 음료", "yuja citron drink", "nước chanh yuja"),
                T("홍삼 음료", "red ginseng drink", "nước hồng sâm"),
                T("탄산 과일음료", "sparkling fruit soda", "nước trái cây có ga"),
            ),
            "pack": (
                T("240ml 캔 30입", "240 ml cans x 30", "lon 240 ml x 30"),
                T("500ml 페트 20입", "500 ml PET x 20", "chai PET 500 ml x 20"),
            ),
        },
        en=("{drink}, {pack} per carton", "Korean {drink} ({pack}), no preservatives"),
        ko=("{drink} {pack}",),
        vi=("{drink} Hàn Quốc, {pack} mỗi thùng",),
    ),
    ProductType(
        key="rice_foods",
        industry=Industry.FOOD,
        name=T("쌀 가공식품", "rice foods", "thực phẩm từ gạo"),
        hs_codes=("190490", "190230"),
        hs_slot="kind",
        price_usd=(10.0, 30.0),
        price_unit="carton",
        moq=500,
        moq_unit="carton",
        certifications=("HACCP", "ISO22000", "FDA"),
        slots={
            "kind": (
                T("즉석밥", "instant cooked rice", "cơm ăn liền"),
                T("떡볶이 떡", "tteokbokki rice cakes", "bánh gạo tteokbokki"),
            ),
            "origin": (
                T("김제 쌀", "Gimje rice", "gạo Gimje"),
                T("국내산 쌀", "Korean rice", "gạo Hàn Quốc"),
            ),
        },
        en=("{kind} made with {origin}, microwaveable", "{kind} ({origin}), 24 units per carton"),
        ko=("{origin}로 만든 {kind}",),
        vi=("{kind} làm từ {origin}",),
    ),
    # ---- Feed ---------------------------------------------------------------------------------
    ProductType(
        key="compound_feed",
        industry=Industry.FEED,
        name=T("배합사료", "compound feed", "thức ăn chăn nuôi hỗn hợp"),
        hs_codes=("230990",),
        price_usd=(380.0, 700.0),
        price_unit="ton",
        moq=20,
        moq_unit="ton",
        certifications=("ISO9001", "HACCP", "GMP"),
        slots={
            "animal": (
                T("양계", "poultry", "gia cầm"),
                T("양돈", "swine", "heo"),
                T("새우 양식", "shrimp aquaculture", "nuôi tôm"),
                T("한우·육우", "beef cattle", "bò thịt"),
            ),
            "form": (
                T("펠릿", "pellets", "dạng viên"),
                T("크럼블", "crumbles", "dạng mảnh"),
                T("가루", "mash", "dạng bột"),
            ),
        },
        en=("Compound feed for {animal}, {form}, 25 kg bags", "{animal} feed premix and {form}"),
        ko=("{animal}용 배합사료 ({form}, 25kg)",),
        vi=("Thức ăn hỗn hợp cho {animal}, {form}, bao 25 kg",),
    ),
    ProductType(
        key="pet_food",
        industry=Industry.FEED,
        name=T("반려동물 사료", "pet food", "thức ăn cho thú cưng"),
        hs_codes=("230910",),
        price_usd=(3.0, 14.0),
        price_unit="kg",
        moq=500,
        moq_unit="kg",
        certifications=("ISO9001", "HACCP", "GMP"),
        slots={
            "pet": (T("강아지", "dogs", "chó"), T("고양이", "cats", "mèo")),
            "kind": (
                T("건식 사료", "dry kibble", "hạt khô"),
                T("동결건조 간식", "freeze-dried treats", "bánh thưởng sấy lạnh"),
                T("습식 캔", "wet food cans", "pate đóng lon"),
            ),
        },
        en=("Premium {kind} for {pet}, grain-free", "{kind} for {pet}, human-grade ingredients"),
        ko=("{pet}용 {kind}",),
        vi=("{kind} cho {pet}, không ngũ cốc",),
    ),
    # ---- Cosmetics ------------------------------------------------------------------------
    ProductType(
        key="sheet_mask",
        industry=Industry.COSMETICS,
        name=T("마스크팩", "sheet masks", "mặt nạ giấy"),
        hs_codes=("330499",),
        price_usd=(0.25, 1.6),
        price_unit="piece",
        moq=5000,
        moq_unit="piece",
        certifications=("ISO22716", "GMP", "HALAL", "FDA"),
        slots={
            "ingredient": SKIN_INGREDIENT,
            "sheet": (
                T("셀룰로오스 시트", "cellulose sheet", "giấy cellulose"),
                T("하이드로겔", "hydrogel", "hydrogel"),
                T("바이오셀룰로오스", "bio-cellulose", "bio-cellulose"),
            ),
            "effect": SKIN_EFFECT,
        },
        en=(
            "{ingredient} {sheet} mask, {effect}, 25 ml essence",
            "K-beauty sheet masks with {ingredient} ({effect}), {sheet}",
        ),
        ko=(
            "{ingredient} {sheet} 마스크팩, {effect}",
            "{effect} {ingredient} 마스크 (25ml 에센스)",
        ),
        vi=("Mặt nạ {sheet} chiết xuất {ingredient}, {effect}",),
        weight=1.4,
    ),
    ProductType(
        key="face_cream",
        industry=Industry.COSMETICS,
        name=T("크림", "face cream", "kem dưỡng da"),
        hs_codes=("330499",),
        price_usd=(2.5, 28.0),
        price_unit="piece",
        moq=1000,
        moq_unit="piece",
        certifications=("ISO22716", "GMP", "HALAL", "FDA"),
        slots={"ingredient": SKIN_INGREDIENT, "effect": SKIN_EFFECT},
        en=(
            "{ingredient} face cream 50 ml, {effect}",
            "{effect} cream with {ingredient}, dermatologically tested",
        ),
        ko=("{ingredient} 크림 50ml, {effect}",),
        vi=("Kem dưỡng {ingredient} 50 ml, {effect}",),
        weight=1.2,
    ),
    ProductType(
        key="shampoo",
        industry=Industry.COSMETICS,
        name=T("샴푸", "shampoo", "dầu gội"),
        hs_codes=("330510",),
        price_usd=(2.0, 13.0),
        price_unit="bottle",
        moq=2000,
        moq_unit="bottle",
        certifications=("ISO22716", "GMP", "HALAL"),
        slots={
            "ingredient": (
                T("검은콩", "black bean", "đậu đen"),
                T("어성초", "houttuynia", "diếp cá"),
                T("아르간 오일", "argan oil", "dầu argan"),
                T("티트리", "tea tree", "tràm trà"),
                T("한방 인삼", "herbal ginseng", "nhân sâm thảo dược"),
            ),
            "effect": (
                T("탈모 완화", "anti-hair-loss", "giảm rụng tóc"),
                T("비듬 케어", "anti-dandruff", "trị gàu"),
                T("두피 진정", "scalp soothing", "làm dịu da đầu"),
            ),
        },
        en=(
            "{ingredient} shampoo 500 ml, {effect}",
            "{effect} shampoo with {ingredient}, sulfate-free",
        ),
        ko=("{ingredient} 샴푸 500ml ({effect})",),
        vi=("Dầu gội {ingredient} 500 ml, {effect}",),
    ),
    ProductType(
        key="sunscreen",
        industry=Industry.COSMETICS,
        name=T("선크림", "sunscreen", "kem chống nắng"),
        hs_codes=("330499",),
        price_usd=(2.0, 16.0),
        price_unit="piece",
        moq=2000,
        moq_unit="piece",
        certifications=("ISO22716", "GMP", "HALAL", "FDA"),
        slots={
            "kind": (
                T("무기자차", "mineral", "vật lý"),
                T("유기자차", "chemical", "hóa học"),
                T("톤업", "tone-up", "nâng tông"),
            ),
            "ingredient": SKIN_INGREDIENT,
        },
        en=(
            "{kind} sunscreen SPF50+ PA++++ with {ingredient}",
            "Lightweight {kind} sun cream SPF50+, {ingredient}",
        ),
        ko=("{kind} 선크림 SPF50+ PA++++ ({ingredient})",),
        vi=("Kem chống nắng {kind} SPF50+ PA++++ chiết xuất {ingredient}",),
    ),
    ProductType(
        key="color_cosmetics",
        industry=Industry.COSMETICS,
        name=T("색조 화장품", "colour cosmetics", "mỹ phẩm trang điểm"),
        hs_codes=("330410", "330499"),
        hs_slot="item",
        price_usd=(1.5, 14.0),
        price_unit="piece",
        moq=3000,
        moq_unit="piece",
        certifications=("ISO22716", "GMP", "HALAL"),
        slots={
            "item": (
                T("립틴트", "lip tint", "son tint"),
                T("쿠션 파운데이션", "cushion foundation", "phấn nước cushion"),
            ),
            "shade": _same("#01", "#03", "#05", "#21", "#23"),
        },
        en=(
            "K-beauty {item}, shade {shade}, long-lasting",
            "{item} in 5 shades (e.g. {shade}), vegan formula",
        ),
        ko=("{item} {shade}호, 롱래스팅",),
        vi=("{item} Hàn Quốc, màu {shade}, lâu trôi",),
    ),
    # ---- Agricultural machinery (+30% in 2022) -----------------------------------------------
    ProductType(
        key="tractor",
        industry=Industry.AGRI_MACHINERY,
        name=T("트랙터", "tractor", "máy kéo"),
        hs_codes=("870193",),
        price_usd=(14000.0, 62000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC", "BIS"),
        slots={
            "power": ENGINE_HP,
            "drive": (
                T("4륜구동", "4WD", "dẫn động 4 bánh"),
                T("2륜구동", "2WD", "dẫn động 2 bánh"),
            ),
            "crop": CROP,
        },
        en=(
            "{power} {drive} tractor with cabin and loader, for {crop} farming",
            "Compact {drive} farm tractor, {power}, Tier 4 engine",
        ),
        ko=("{power} {drive} 트랙터 (캐빈·로더 포함)",),
        vi=("Máy kéo {power} {drive}, có cabin, dùng cho canh tác {crop}",),
    ),
    ProductType(
        key="rice_transplanter",
        industry=Industry.AGRI_MACHINERY,
        name=T("이앙기", "rice transplanter", "máy cấy lúa"),
        hs_codes=("843239",),
        price_usd=(5000.0, 26000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC"),
        slots={
            "rows": _same("4", "6", "8"),
            "kind": (
                T("보행형", "walk-behind", "loại đi bộ"),
                T("승용형", "riding", "loại ngồi lái"),
            ),
        },
        en=(
            "{rows}-row {kind} rice transplanter",
            "{kind} rice transplanter, {rows} rows, for paddy fields",
        ),
        ko=("{kind} {rows}조 이앙기",),
        vi=("Máy cấy lúa {kind} {rows} hàng",),
    ),
    ProductType(
        key="combine",
        industry=Industry.AGRI_MACHINERY,
        name=T("콤바인", "combine harvester", "máy gặt đập liên hợp"),
        hs_codes=("843351",),
        price_usd=(24000.0, 95000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC"),
        slots={"rows": _same("3", "4", "5", "6"), "crop": CROP[:3]},
        en=(
            "{rows}-row combine harvester for {crop}",
            "Tracked combine harvester ({rows} rows), {crop} and small grains",
        ),
        ko=("{rows}조 콤바인 ({crop} 수확용)",),
        vi=("Máy gặt đập liên hợp {rows} hàng cho {crop}",),
    ),
    ProductType(
        key="power_tiller",
        industry=Industry.AGRI_MACHINERY,
        name=T("관리기", "power tiller", "máy xới đất"),
        hs_codes=("843229",),
        price_usd=(700.0, 3800.0),
        price_unit="unit",
        moq=10,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC"),
        slots={"crop": CROP, "power": _same("6 hp", "8 hp", "10 hp", "13 hp")},
        en=(
            "Multi-purpose power tiller/cultivator, {power}, for {crop}",
            "{power} walk-behind cultivator with rotary and ridger",
        ),
        ko=("다목적 관리기 {power} ({crop})",),
        vi=("Máy xới đa năng {power} cho {crop}",),
    ),
    ProductType(
        key="sprayer",
        industry=Industry.AGRI_MACHINERY,
        name=T("방제기", "agricultural sprayer", "máy phun thuốc"),
        hs_codes=("842441", "842449"),
        hs_slot="kind",
        price_usd=(120.0, 9500.0),
        price_unit="unit",
        moq=10,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC"),
        slots={
            "kind": (
                T("배부식 동력 분무기", "knapsack power sprayer", "máy phun đeo vai"),
                T(
                    "트랙터 부착 붐 스프레이어",
                    "tractor-mounted boom sprayer",
                    "máy phun cần gắn máy kéo",
                ),
            ),
            "crop": CROP,
        },
        en=("{kind} for {crop}", "{kind}, corrosion-resistant tank, for {crop} protection"),
        ko=("{crop}용 {kind}",),
        vi=("{kind} cho {crop}",),
    ),
    # ---- Construction / mining machinery ------------------------------------------------------
    ProductType(
        key="excavator",
        industry=Industry.CONSTRUCTION_MACHINERY,
        name=T("굴착기", "excavator", "máy xúc đào"),
        hs_codes=("842952",),
        price_usd=(28000.0, 190000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC", "BIS"),
        slots={
            "size": MACHINE_CLASS,
            "kind": (T("크롤러", "crawler", "bánh xích"), T("휠", "wheeled", "bánh lốp")),
        },
        en=(
            "{size} {kind} excavator, Stage V engine",
            "{kind} hydraulic excavator, operating weight {size}",
        ),
        ko=("{size}급 {kind} 굴착기",),
        vi=("Máy xúc đào {kind} {size}",),
    ),
    ProductType(
        key="wheel_loader",
        industry=Industry.CONSTRUCTION_MACHINERY,
        name=T("휠로더", "wheel loader", "máy xúc lật"),
        hs_codes=("842951",),
        price_usd=(40000.0, 160000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC", "BIS"),
        slots={"bucket": _same("1.2 m³", "1.9 m³", "2.7 m³", "3.5 m³")},
        en=(
            "Wheel loader with {bucket} bucket",
            "Articulated front-end wheel loader, bucket {bucket}",
        ),
        ko=("버킷 {bucket} 휠로더",),
        vi=("Máy xúc lật gầu {bucket}",),
    ),
    ProductType(
        key="hydraulic_breaker",
        industry=Industry.CONSTRUCTION_MACHINERY,
        name=T("유압 브레이커", "hydraulic breaker", "búa phá thủy lực"),
        hs_codes=("843149",),
        price_usd=(2000.0, 26000.0),
        price_unit="unit",
        moq=2,
        moq_unit="unit",
        certifications=("ISO9001", "CE"),
        slots={"size": MACHINE_CLASS},
        en=(
            "Hydraulic breaker for {size} excavators, box type",
            "Rock breaker attachment for {size} carriers",
        ),
        ko=("{size}급 굴착기용 유압 브레이커",),
        vi=("Búa phá thủy lực cho máy xúc {size}",),
    ),
    # ---- Vehicles ----------------------------------------------------------------------------
    ProductType(
        key="special_vehicle",
        industry=Industry.VEHICLES,
        name=T("특장차", "special-purpose vehicle", "xe chuyên dụng"),
        hs_codes=("870530", "870510", "870590", "870590"),
        hs_slot="kind",
        price_usd=(60000.0, 420000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "KC", "CE"),
        slots={
            "kind": (
                T("소방차", "fire-fighting truck", "xe cứu hỏa"),
                T("카고 크레인 트럭", "truck-mounted crane", "xe tải gắn cẩu"),
                T("노면 청소차", "road sweeper", "xe quét đường"),
                T("고소작업차", "aerial work platform truck", "xe nâng người làm việc trên cao"),
            ),
            "chassis": _same("Hyundai Xcient", "Hyundai Mighty", "Tata Daewoo Prima"),
        },
        en=(
            "{kind} on {chassis} chassis",
            "Custom-built {kind} ({chassis}), left- or right-hand drive",
        ),
        ko=("{chassis} 섀시 {kind}",),
        vi=("{kind} trên khung gầm {chassis}",),
    ),
    ProductType(
        key="truck",
        industry=Industry.VEHICLES,
        name=T("화물 트럭", "truck", "xe tải"),
        hs_codes=("870421", "870422", "870423"),
        hs_slot="gvw",
        price_usd=(25000.0, 150000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "KC"),
        slots={
            "gvw": (
                T("총중량 3.5톤", "3.5 t GVW", "tổng tải 3,5 tấn"),
                T("총중량 16톤", "16 t GVW", "tổng tải 16 tấn"),
                T("총중량 25톤", "25 t GVW", "tổng tải 25 tấn"),
            ),
            "body": (
                T("카고", "cargo", "thùng lửng"),
                T("덤프", "dump", "tự đổ"),
                T("윙바디", "wing-body", "thùng cánh dơi"),
            ),
        },
        en=("Diesel {body} truck, {gvw}", "{gvw} {body} truck, Euro 5/6 engine"),
        ko=("{gvw} {body} 트럭",),
        vi=("Xe tải {body} {gvw}, động cơ diesel",),
    ),
    ProductType(
        key="bus",
        industry=Industry.VEHICLES,
        name=T("버스", "bus", "xe buýt"),
        hs_codes=("870210",),
        price_usd=(80000.0, 260000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "KC"),
        slots={
            "kind": (
                T("시내버스", "city bus", "xe buýt nội thành"),
                T("관광버스", "coach", "xe khách du lịch"),
                T("중형버스", "midi bus", "xe buýt cỡ trung"),
            )
        },
        en=("Diesel {kind} built in Jeonju, 45 seats", "{kind}, Euro 6, air-conditioned"),
        ko=("{kind} (전주공장 생산)",),
        vi=("{kind} sản xuất tại Jeonju",),
    ),
    # ---- Auto parts --------------------------------------------------------------------------
    ProductType(
        key="chassis_parts",
        industry=Industry.AUTO_PARTS,
        name=T("섀시 부품", "chassis parts", "phụ tùng khung gầm"),
        hs_codes=("870830", "870830", "870880", "870894"),
        hs_slot="part",
        price_usd=(3.0, 180.0),
        price_unit="piece",
        moq=500,
        moq_unit="piece",
        certifications=("ISO9001", "IATF16949", "BIS"),
        slots={
            "part": (
                T("브레이크 패드", "brake pads", "má phanh"),
                T("브레이크 디스크", "brake discs", "đĩa phanh"),
                T("쇼크업소버", "shock absorbers", "giảm xóc"),
                T("스티어링 부품", "steering parts", "phụ tùng lái"),
            ),
            "vehicle": VEHICLE_FIT,
        },
        en=(
            "OEM-quality {part} for {vehicle}",
            "Aftermarket {part} for {vehicle}, IATF 16949 plant",
        ),
        ko=("{vehicle}용 {part} (OEM 품질)",),
        vi=("{part} chất lượng OEM cho {vehicle}",),
        weight=1.3,
    ),
    ProductType(
        key="powertrain_parts",
        industry=Industry.AUTO_PARTS,
        name=T(
            "파워트레인·냉각 부품",
            "powertrain and cooling parts",
            "phụ tùng truyền động và làm mát",
        ),
        hs_codes=("870840", "870891", "870899"),
        hs_slot="part",
        price_usd=(5.0, 450.0),
        price_unit="piece",
        moq=300,
        moq_unit="piece",
        certifications=("ISO9001", "IATF16949", "BIS"),
        slots={
            "part": (
                T("변속기 기어", "transmission gears", "bánh răng hộp số"),
                T("라디에이터", "radiators", "két nước làm mát"),
                T("엔진 마운트", "engine mounts", "chân máy"),
            ),
            "vehicle": VEHICLE_FIT,
        },
        en=("{part} for {vehicle}", "Precision {part} for {vehicle}, PPAP level 3"),
        ko=("{vehicle}용 {part}",),
        vi=("{part} cho {vehicle}",),
    ),
    # ---- Chemicals -------------------------------------------------------------------------
    ProductType(
        key="fine_chemicals",
        industry=Industry.CHEMICALS,
        name=T("정밀화학 원료", "fine-chemical intermediates", "hóa chất trung gian"),
        hs_codes=("293359", "293399", "292429"),
        hs_slot="compound",
        price_usd=(8.0, 140.0),
        price_unit="kg",
        moq=100,
        moq_unit="kg",
        certifications=("ISO9001", "ISO14001", "GMP", "REACH"),
        slots={
            "compound": (
                T("피리미딘 유도체", "pyrimidine derivatives", "dẫn xuất pyrimidine"),
                T("헤테로고리 화합물", "heterocyclic building blocks", "hợp chất dị vòng"),
                T("고리형 아마이드", "cyclic amides", "amide mạch vòng"),
            ),
            "use": (
                T("의약품 원료(API) 합성", "API synthesis", "tổng hợp dược chất"),
                T("작물보호제 원제", "agrochemical actives", "hoạt chất nông dược"),
                T("전자재료", "electronic materials", "vật liệu điện tử"),
            ),
        },
        en=("{compound} for {use}, purity 99%+", "Custom synthesis of {compound} used in {use}"),
        ko=("{use}용 {compound} (순도 99% 이상)",),
        vi=("{compound} dùng cho {use}, độ tinh khiết 99%",),
    ),
    ProductType(
        key="resins",
        industry=Industry.CHEMICALS,
        name=T("합성수지", "synthetic resins", "nhựa tổng hợp"),
        hs_codes=("390210", "390110", "390730"),
        hs_slot="polymer",
        price_usd=(900.0, 3800.0),
        price_unit="ton",
        moq=16,
        moq_unit="ton",
        certifications=("ISO9001", "ISO14001", "REACH"),
        slots={
            "polymer": (
                T("폴리프로필렌(PP)", "polypropylene (PP)", "nhựa PP"),
                T("폴리에틸렌(PE)", "polyethylene (PE)", "nhựa PE"),
                T("에폭시 수지", "epoxy resin", "nhựa epoxy"),
            ),
            "grade": (
                T("사출용", "injection grade", "loại ép phun"),
                T("필름용", "film grade", "loại màng"),
                T("도료·접착제용", "coatings and adhesives grade", "loại sơn và keo"),
            ),
        },
        en=("{polymer} granules, {grade}", "{polymer}, {grade}, 25 kg bags, 16 t per 20ft"),
        ko=("{polymer} {grade}",),
        vi=("Hạt {polymer}, {grade}",),
    ),
    ProductType(
        key="specialty_chemicals",
        industry=Industry.CHEMICALS,
        name=T("기능성 화학제품", "specialty chemicals", "hóa chất chuyên dụng"),
        hs_codes=("291533", "380894"),
        hs_slot="product",
        price_usd=(1.2, 12.0),
        price_unit="kg",
        moq=1000,
        moq_unit="kg",
        certifications=("ISO9001", "ISO14001", "REACH"),
        slots={
            "product": (
                T("초산부틸 용제", "n-butyl acetate solvent", "dung môi n-butyl acetate"),
                T("산업용 소독제", "industrial disinfectant", "chất khử trùng công nghiệp"),
            ),
        },
        en=("{product}, drums or IBC", "High-purity {product} for coatings, cleaning and hygiene"),
        ko=("{product} (드럼·IBC)",),
        vi=("{product}, phuy hoặc bồn IBC",),
    ),
    ProductType(
        key="crop_protection",
        industry=Industry.AGROCHEMICALS,
        name=T("작물보호제", "crop protection products", "thuốc bảo vệ thực vật"),
        hs_codes=("380893", "380891", "380892"),
        hs_slot="kind",
        price_usd=(2.5, 28.0),
        price_unit="liter",
        moq=2000,
        moq_unit="liter",
        certifications=("ISO9001", "ISO14001", "GLP"),
        slots={
            "kind": (
                T("제초제", "herbicide", "thuốc trừ cỏ"),
                T("살충제", "insecticide", "thuốc trừ sâu"),
                T("살균제", "fungicide", "thuốc trừ bệnh"),
            ),
            "formulation": _same("SC", "EC", "WG", "WP"),
            "crop": CROP,
        },
        en=(
            "{kind} {formulation} for {crop}",
            "Selective {kind}, {formulation} formulation, registered for {crop}",
        ),
        ko=("{crop}용 {kind} ({formulation})",),
        vi=("{kind} dạng {formulation} cho {crop}",),
    ),
    # ---- Pharmaceuticals and medical devices -----------------------------------------------
    ProductType(
        key="medicines",
        industry=Industry.PHARMACEUTICALS,
        name=T("완제의약품", "finished medicines", "dược phẩm thành phẩm"),
        hs_codes=("300490", "300420", "300450"),
        hs_slot="kind",
        price_usd=(1.5, 45.0),
        price_unit="box",
        moq=5000,
        moq_unit="box",
        certifications=("GMP", "ISO9001", "CDSCO"),
        slots={
            "kind": (
                T("소화기계 복합제", "gastrointestinal combination tablets", "viên nén tiêu hóa"),
                T("항생제 캡슐", "antibiotic capsules", "viên nang kháng sinh"),
                T("비타민 주사제", "vitamin injections", "thuốc tiêm vitamin"),
            ),
        },
        en=(
            "Generic {kind}, KGMP certified plant",
            "{kind} in blister packs, dossier (CTD) available",
        ),
        ko=("{kind} (KGMP 적합 공장)",),
        vi=("{kind}, nhà máy đạt GMP",),
    ),
    ProductType(
        key="disposables",
        industry=Industry.MEDICAL_DEVICES,
        name=T("의료 소모품", "medical disposables", "vật tư y tế tiêu hao"),
        hs_codes=("901831", "901839"),
        hs_slot="item",
        price_usd=(0.03, 2.5),
        price_unit="piece",
        moq=50000,
        moq_unit="piece",
        certifications=("ISO13485", "CE", "FDA", "CDSCO"),
        slots={
            "item": (
                T("일회용 주사기", "disposable syringes", "bơm tiêm dùng một lần"),
                T("IV 카테터", "IV catheters", "kim luồn tĩnh mạch"),
            ),
            "size": _same("1 ml", "3 ml", "5 ml", "10 ml", "22G", "24G"),
        },
        en=(
            "Sterile {item} ({size}), EO sterilised",
            "{item}, {size}, single-use, ISO 13485 factory",
        ),
        ko=("멸균 {item} {size}",),
        vi=("{item} vô trùng {size}",),
    ),
    ProductType(
        key="dental_implants",
        industry=Industry.MEDICAL_DEVICES,
        name=T("치과 임플란트", "dental implants", "trụ implant nha khoa"),
        hs_codes=("902129",),
        price_usd=(35.0, 220.0),
        price_unit="set",
        moq=100,
        moq_unit="set",
        certifications=("ISO13485", "CE", "FDA", "CDSCO"),
        slots={
            "surface": _same("SLA", "RBM", "hydrophilic SA"),
            "dia": _same("3.5 mm", "4.0 mm", "4.5 mm", "5.0 mm"),
        },
        en=(
            "Titanium dental implant fixtures, {surface} surface, Ø{dia}",
            "Dental implant system (fixture + abutment), {surface}, {dia}",
        ),
        ko=("티타늄 임플란트 픽스처 {surface} 표면, 직경 {dia}",),
        vi=("Trụ implant titan bề mặt {surface}, đường kính {dia}",),
    ),
    ProductType(
        key="medical_equipment",
        industry=Industry.MEDICAL_DEVICES,
        name=T("의료기기", "medical equipment", "thiết bị y tế"),
        hs_codes=("901812", "901890"),
        hs_slot="kind",
        price_usd=(1500.0, 60000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO13485", "CE", "FDA", "CDSCO"),
        slots={
            "kind": (
                T("휴대용 초음파 진단기", "portable ultrasound scanner", "máy siêu âm cầm tay"),
                T("고주파 피부미용 기기", "RF aesthetic device", "máy thẩm mỹ RF"),
            ),
        },
        en=("{kind} for clinics and hospitals", "{kind} with cloud reporting, CE marked"),
        ko=("병원·클리닉용 {kind}",),
        vi=("{kind} cho phòng khám và bệnh viện",),
    ),
    # ---- Metals: copper, wire rod, silver, stainless pipes and fittings -------------------
    ProductType(
        key="copper_tube",
        industry=Industry.METALS,
        name=T("동관", "copper tubes", "ống đồng"),
        hs_codes=("741110",),
        price_usd=(8.5, 14.5),
        price_unit="kg",
        moq=1000,
        moq_unit="kg",
        certifications=("ISO9001", "KS", "BIS"),
        slots={
            "kind": (
                T(
                    "에어컨용 ACR 동관",
                    "ACR copper tubes for air-conditioning",
                    "ống đồng ACR cho điều hòa",
                ),
                T("급수·급탕용 동관", "plumbing copper tubes", "ống đồng cấp nước"),
                T("내면 나선 동관", "inner-grooved copper tubes", "ống đồng có rãnh trong"),
            ),
            "od": _same("6.35 mm", "9.52 mm", "12.7 mm", "15.88 mm", "22.22 mm"),
        },
        en=(
            "{kind}, OD {od}, C1220 phosphorus-deoxidised copper",
            "Seamless {kind} (OD {od}) in pancake coils or straight lengths",
        ),
        ko=("{kind} 외경 {od}, C1220",),
        vi=("{kind}, đường kính ngoài {od}, đồng C1220",),
        weight=1.2,
    ),
    ProductType(
        key="copper_wire",
        industry=Industry.METALS,
        name=T("동선", "copper wire", "dây đồng"),
        hs_codes=("740811",),
        price_usd=(9.0, 15.0),
        price_unit="kg",
        moq=2000,
        moq_unit="kg",
        certifications=("ISO9001", "KS"),
        slots={
            "kind": (
                T("무산소 동선", "oxygen-free copper wire", "dây đồng không oxy"),
                T(
                    "평각 에나멜 동선",
                    "rectangular enamelled copper wire",
                    "dây đồng dẹt tráng men",
                ),
            ),
            "use": (
                T("전력 케이블", "power cables", "cáp điện"),
                T("모터 권선", "motor windings", "cuộn dây động cơ"),
                T("변압기", "transformers", "máy biến áp"),
            ),
        },
        en=("{kind} for {use}", "{kind}, 8 mm rod drawn, for {use}"),
        ko=("{use}용 {kind}",),
        vi=("{kind} cho {use}",),
    ),
    ProductType(
        key="copper_foil",
        industry=Industry.METALS,
        name=T("동박", "copper foil", "lá đồng"),
        hs_codes=("741011",),
        price_usd=(11.0, 22.0),
        price_unit="kg",
        moq=500,
        moq_unit="kg",
        certifications=("ISO9001", "ISO14001"),
        slots={
            "kind": (
                T(
                    "2차전지용 전해동박",
                    "electrodeposited copper foil for Li-ion batteries",
                    "lá đồng điện phân cho pin lithium",
                ),
                T("PCB용 압연동박", "rolled copper foil for PCBs", "lá đồng cán cho bảng mạch in"),
            ),
            "thk": _same("6 µm", "8 µm", "12 µm", "18 µm", "35 µm"),
        },
        en=("{kind}, {thk}", "{kind} ({thk}), width to order"),
        ko=("{kind} {thk}",),
        vi=("{kind}, độ dày {thk}",),
    ),
    ProductType(
        key="wire_rod",
        industry=Industry.METALS,
        name=T("선재", "wire rod", "thép cuộn"),
        hs_codes=("721391", "722100"),
        hs_slot="grade",
        price_usd=(560.0, 2600.0),
        price_unit="ton",
        moq=25,
        moq_unit="ton",
        certifications=("ISO9001", "KS", "BIS"),
        slots={
            "grade": (
                T("저탄소강 SWRM10", "low-carbon SAE1008", "thép carbon thấp SAE1008"),
                T("스테인리스 STS304", "stainless 304", "inox 304"),
            ),
            "dia": _same("5.5 mm", "8 mm", "10 mm", "13 mm"),
            "use": (
                T(
                    "냉간압조(볼트·너트)",
                    "cold heading (bolts and nuts)",
                    "dập nguội bu lông đai ốc",
                ),
                T("철망·신선", "wire drawing and mesh", "kéo dây và lưới thép"),
                T("용접봉", "welding wire", "dây hàn"),
            ),
        },
        en=(
            "Hot-rolled wire rod, {grade}, Ø{dia}, for {use}",
            "{grade} wire rod in coils ({dia}) for {use}",
        ),
        ko=("열간압연 선재 {grade} {dia} ({use}용)",),
        vi=("Thép cuộn cán nóng {grade} {dia} cho {use}",),
    ),
    ProductType(
        key="silver",
        industry=Industry.METALS,
        name=T("은", "silver", "bạc"),
        hs_codes=("710691",),
        price_usd=(700.0, 980.0),
        price_unit="kg",
        moq=10,
        moq_unit="kg",
        certifications=("ISO9001", "ISO14001"),
        slots={
            "form": (
                T("은 그래뉼", "silver granules", "bạc hạt"),
                T("은괴 1kg", "1 kg silver bars", "bạc thỏi 1 kg"),
            )
        },
        en=(
            "Fine {form}, 99.99% purity, refined from recycled material",
            "{form} 4N (99.99%) for jewellery and electronics",
        ),
        ko=("{form} 순도 99.99%",),
        vi=("{form} độ tinh khiết 99,99%",),
    ),
    ProductType(
        key="buttweld_fittings",
        industry=Industry.METALS,
        name=T(
            "스테인리스 맞대기 용접 관이음쇠",
            "stainless steel butt-weld pipe fittings",
            "phụ kiện inox hàn đối đầu",
        ),
        hs_codes=("730723",),
        price_usd=(1.5, 160.0),
        price_unit="piece",
        moq=200,
        moq_unit="piece",
        certifications=("ISO9001", "ASME", "KS", "PED"),
        slots={
            "item": (
                T("90° 엘보", "90° elbows", "co 90 độ"),
                T("45° 엘보", "45° elbows", "co 45 độ"),
                T("티", "equal tees", "tê đều"),
                T("레듀서", "concentric reducers", "côn thu đồng tâm"),
                T("캡", "caps", "chén hàn"),
            ),
            "material": STAINLESS,
            "size": PIPE_SIZE,
            "standard": FITTING_STANDARD,
            "plant": PLANT,
        },
        en=(
            "Stainless steel butt-weld {item} ({material}), {size}, Sch 10S/40S, {standard}, for "
            "{plant}",
            "{material} seamless pipe fittings: {item}, {size}, to {standard}",
            "Butt-welding {item} in {material} for {plant} piping, {size}",
        ),
        ko=(
            "스테인리스 맞대기 용접 {item} ({material}) {size}, {standard}",
            "{plant} 배관용 {material} {item} {size}",
        ),
        vi=("{item} inox hàn đối đầu ({material}) {size}, tiêu chuẩn {standard}, cho {plant}",),
        weight=1.3,
    ),
    ProductType(
        key="flanges",
        industry=Industry.METALS,
        name=T("스테인리스 플랜지", "stainless steel flanges", "mặt bích inox"),
        hs_codes=("730721",),
        price_usd=(4.0, 420.0),
        price_unit="piece",
        moq=50,
        moq_unit="piece",
        certifications=("ISO9001", "ASME", "KS", "PED"),
        slots={
            "kind": (
                T("웰드넥", "weld-neck", "cổ hàn"),
                T("슬립온", "slip-on", "trượt"),
                T("블라인드", "blind", "mù"),
                T("소켓 용접", "socket-weld", "hàn lồng"),
            ),
            "material": STAINLESS,
            "size": PIPE_SIZE,
            "pressure": PRESSURE,
            "plant": PLANT,
        },
        en=(
            "Forged stainless steel {kind} flanges ({material}), {size}, {pressure}, ASME B16.5, "
            "for {plant}",
            "{material} {kind} flange {size} {pressure}, RF face",
        ),
        ko=("스테인리스 {kind} 플랜지 ({material}) {size} {pressure}",),
        vi=("Mặt bích {kind} inox ({material}) {size} {pressure}, dùng cho {plant}",),
    ),
    ProductType(
        key="threaded_fittings",
        industry=Industry.METALS,
        name=T(
            "스테인리스 나사·위생 이음쇠",
            "stainless threaded and sanitary fittings",
            "phụ kiện ren và vi sinh inox",
        ),
        hs_codes=("730722", "730729", "730729"),
        hs_slot="item",
        price_usd=(0.8, 60.0),
        price_unit="piece",
        moq=500,
        moq_unit="piece",
        certifications=("ISO9001", "KS", "ASME"),
        slots={
            "item": (
                T("나사식 엘보·소켓", "threaded elbows and sockets", "co và măng sông ren"),
                T("위생용 클램프 페룰", "sanitary tri-clamp ferrules", "đầu clamp vi sinh"),
                T("계장용 튜브 피팅", "instrumentation tube fittings", "đầu nối ống đo lường"),
            ),
            "material": STAINLESS,
            "size": PIPE_SIZE[:5],
            "plant": PLANT,
        },
        en=(
            "Stainless steel {item} ({material}), {size}, for {plant}",
            "{item} in {material}, {size}, polished",
        ),
        ko=("스테인리스 {item} ({material}) {size}",),
        vi=("{item} inox ({material}) {size} cho {plant}",),
    ),
    ProductType(
        key="seamless_pipe",
        industry=Industry.METALS,
        name=T("스테인리스 무계목 강관", "seamless stainless steel pipe", "ống inox đúc"),
        hs_codes=("730441",),
        price_usd=(4.5, 16.0),
        price_unit="kg",
        moq=1000,
        moq_unit="kg",
        certifications=("ISO9001", "ASME", "KS", "PED"),
        slots={"material": STAINLESS, "size": PIPE_SIZE, "standard": TUBE_STANDARD, "plant": PLANT},
        en=(
            "Seamless stainless steel pipe {material}, {size}, {standard}, for {plant}",
            "Cold-drawn seamless {material} tubes to {standard} ({size}) for heat exchangers and "
            "{plant}",
        ),
        ko=("스테인리스 무계목 강관 {material} {size}, {standard}",),
        vi=("Ống đúc {material} {size}, tiêu chuẩn {standard}, cho {plant}",),
    ),
    ProductType(
        key="welded_pipe",
        industry=Industry.METALS,
        name=T("스테인리스 용접 강관", "welded stainless steel pipe", "ống inox hàn"),
        hs_codes=("730640",),
        price_usd=(2.5, 8.0),
        price_unit="kg",
        moq=2000,
        moq_unit="kg",
        certifications=("ISO9001", "KS", "ASME"),
        slots={"material": STAINLESS, "size": PIPE_SIZE, "plant": PLANT},
        en=(
            "Welded stainless steel pipe {material}, {size}, for {plant}",
            "{material} welded tubes, pickled and annealed, {size}",
        ),
        ko=("스테인리스 용접 강관 {material} {size} ({plant}용)",),
        vi=("Ống hàn {material} {size} cho {plant}",),
    ),
    # ---- Industrial machinery: valves, pumps, heat exchangers -----------------------------
    ProductType(
        key="ball_valve",
        industry=Industry.INDUSTRIAL_MACHINERY,
        name=T("볼밸브", "ball valves", "van bi"),
        hs_codes=("848180",),
        price_usd=(18.0, 2600.0),
        price_unit="piece",
        moq=20,
        moq_unit="piece",
        certifications=("ISO9001", "API6D", "CE", "KC", "ASME", "BIS"),
        slots={
            "material": VALVE_MATERIAL,
            "size": PIPE_SIZE,
            "pressure": PRESSURE,
            "ends": VALVE_ENDS,
            "actuation": ACTUATION,
            "plant": PLANT,
        },
        en=(
            "{material} ball valve, {size}, {pressure}, {ends} ends, {actuation}, for {plant}",
            "Full-bore {material} ball valves {size} {pressure} with {actuation} for {plant}",
            "3-piece {material} ball valve ({ends}, {size}) for {plant}; fire-safe to API 607",
            "Trunnion-mounted ball valves in {material}, {size} {pressure}, API 6D, for {plant}",
        ),
        ko=(
            "{plant}용 {material} 볼밸브 {size} {pressure}, {ends} 연결, {actuation}",
            "{material} 3피스 풀보어 볼밸브 ({size}, {pressure})",
        ),
        vi=("Van bi {material} {size} {pressure}, kết nối {ends}, {actuation}, dùng cho {plant}",),
        weight=2.0,
    ),
    ProductType(
        key="gate_globe_valve",
        industry=Industry.INDUSTRIAL_MACHINERY,
        name=T("게이트·글로브 밸브", "gate and globe valves", "van cổng và van cầu"),
        hs_codes=("848180",),
        price_usd=(30.0, 6500.0),
        price_unit="piece",
        moq=10,
        moq_unit="piece",
        certifications=("ISO9001", "API6D", "ASME", "CE", "BIS"),
        slots={
            "material": VALVE_MATERIAL,
            "size": PIPE_SIZE,
            "pressure": PRESSURE,
            "ends": VALVE_ENDS,
            "plant": PLANT,
        },
        en=(
            "{material} gate valve, {size} {pressure}, {ends}, rising stem, for {plant}",
            "Globe valves in {material} ({size}, {pressure}, {ends} ends) for flow control in "
            "{plant}",
        ),
        ko=(
            "{material} 게이트밸브 {size} {pressure}, {ends} 연결",
            "{plant}용 {material} 글로브밸브 ({size}, {pressure})",
        ),
        vi=("Van cổng {material} {size} {pressure}, kết nối {ends}, dùng cho {plant}",),
        weight=1.2,
    ),
    ProductType(
        key="butterfly_valve",
        industry=Industry.INDUSTRIAL_MACHINERY,
        name=T("버터플라이 밸브", "butterfly valves", "van bướm"),
        hs_codes=("848180",),
        price_usd=(25.0, 3200.0),
        price_unit="piece",
        moq=20,
        moq_unit="piece",
        certifications=("ISO9001", "CE", "KC", "BIS"),
        slots={
            "material": VALVE_MATERIAL,
            "size": PIPE_SIZE,
            "seat": (
                T("EPDM 시트", "EPDM-seated", "gioăng EPDM"),
                T("PTFE 라이닝", "PTFE-lined", "lót PTFE"),
                T(
                    "메탈 시트 트리플 오프셋",
                    "metal-seated triple-offset",
                    "đệm kim loại lệch tâm ba",
                ),
            ),
            "ends": (
                T("웨이퍼형", "wafer", "kiểu wafer"),
                T("러그형", "lug", "kiểu tai bích"),
                T("더블 플랜지형", "double-flanged", "hai mặt bích"),
            ),
            "actuation": ACTUATION,
            "plant": PLANT,
        },
        en=(
            "{seat} {ends} butterfly valve in {material}, {size}, {actuation}, for {plant}",
            "{material} butterfly valves {size} ({seat}, {ends}) for {plant}",
        ),
        ko=("{material} 버터플라이 밸브 {size}, {seat}, {actuation}",),
        vi=("Van bướm {material} {size}, {seat}, {actuation}, dùng cho {plant}",),
    ),
    ProductType(
        key="check_valve",
        industry=Industry.INDUSTRIAL_MACHINERY,
        name=T("체크밸브", "check valves", "van một chiều"),
        hs_codes=("848130",),
        price_usd=(12.0, 2200.0),
        price_unit="piece",
        moq=20,
        moq_unit="piece",
        certifications=("ISO9001", "API6D", "ASME", "CE"),
        slots={
            "material": VALVE_MATERIAL,
            "size": PIPE_SIZE,
            "pressure": PRESSURE,
            "ends": VALVE_ENDS,
            "plant": PLANT,
        },
        en=(
            "{material} swing check valve, {size} {pressure}, {ends}, for {plant}",
            "Dual-plate non-return (check) valves in {material}, {size}, for {plant}",
        ),
        ko=("{material} 스윙 체크밸브 {size} {pressure}",),
        vi=("Van một chiều {material} {size} {pressure}, kết nối {ends}, cho {plant}",),
    ),
    ProductType(
        key="safety_valve",
        industry=Industry.INDUSTRIAL_MACHINERY,
        name=T("안전밸브", "safety relief valves", "van an toàn"),
        hs_codes=("848140",),
        price_usd=(50.0, 3800.0),
        price_unit="piece",
        moq=5,
        moq_unit="piece",
        certifications=("ISO9001", "ASME", "CE", "KC", "BIS"),
        slots={"material": VALVE_MATERIAL[:4], "size": PIPE_SIZE[:6], "plant": PLANT},
        en=(
            "Spring-loaded safety relief valve, {material}, {size}, set pressure to order, for "
            "{plant}",
            "{material} pressure relief valves {size} (ASME Sec. VIII) for {plant}",
        ),
        ko=("{plant}용 {material} 스프링식 안전밸브 {size}",),
        vi=("Van an toàn {material} {size}, áp suất đặt theo yêu cầu, cho {plant}",),
    ),
    ProductType(
        key="pump",
        industry=Industry.INDUSTRIAL_MACHINERY,
        name=T("원심펌프", "centrifugal pumps", "bơm ly tâm"),
        hs_codes=("841370",),
        price_usd=(350.0, 16000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "KC", "BIS"),
        slots={"material": STAINLESS, "flow": FLOW, "plant": PLANT},
        en=(
            "{material} centrifugal pump, {flow}, for {plant}",
            "End-suction centrifugal pumps ({flow}) in {material} for {plant}",
        ),
        ko=("{plant}용 {material} 원심펌프 {flow}",),
        vi=("Bơm ly tâm {material}, lưu lượng {flow}, dùng cho {plant}",),
    ),
    ProductType(
        key="heat_exchanger",
        industry=Industry.INDUSTRIAL_MACHINERY,
        name=T("열교환기", "heat exchangers", "bộ trao đổi nhiệt"),
        hs_codes=("841950",),
        price_usd=(1200.0, 85000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "ASME", "CE", "KC"),
        slots={
            "kind": (
                T("판형", "plate", "dạng tấm"),
                T("쉘앤튜브", "shell-and-tube", "ống chùm"),
                T("브레이징 판형", "brazed-plate", "tấm hàn đồng"),
                T("공랭식", "air-cooled", "làm mát bằng không khí"),
            ),
            "material": STAINLESS,
            "plant": PLANT,
        },
        en=(
            "{kind} heat exchanger in {material} for {plant}",
            "Custom {kind} heat exchangers, {material}, ASME U-stamp, for {plant}",
        ),
        ko=("{plant}용 {kind} 열교환기 ({material})",),
        vi=("Bộ trao đổi nhiệt {kind} bằng {material} cho {plant}",),
        weight=1.3,
    ),
    # ---- Plastics, paper --------------------------------------------------------------------
    ProductType(
        key="plastic_pipe",
        industry=Industry.PLASTICS,
        name=T("플라스틱 파이프", "plastic pipes", "ống nhựa"),
        hs_codes=("391721", "391723"),
        hs_slot="polymer",
        price_usd=(1.4, 4.5),
        price_unit="kg",
        moq=5000,
        moq_unit="kg",
        certifications=("ISO9001", "KS", "BIS"),
        slots={
            "polymer": (T("고밀도 폴리에틸렌(HDPE)", "HDPE", "HDPE"), T("PVC", "uPVC", "uPVC")),
            "use": (
                T("상수도", "potable water", "cấp nước sạch"),
                T("하수·배수", "sewerage and drainage", "thoát nước"),
                T("농업 관개", "agricultural irrigation", "tưới tiêu nông nghiệp"),
                T("케이블 보호", "cable protection", "bảo vệ cáp"),
            ),
            "size": _same("Ø20–Ø110 mm", "Ø160–Ø400 mm", "Ø500–Ø1200 mm"),
        },
        en=(
            "{polymer} pipes for {use}, {size}",
            "{polymer} pressure pipe {size}, PN10/PN16, for {use}",
        ),
        ko=("{use}용 {polymer} 파이프 {size}",),
        vi=("Ống {polymer} cho {use}, {size}",),
    ),
    ProductType(
        key="plastic_film",
        industry=Industry.PLASTICS,
        name=T("플라스틱 필름", "plastic film", "màng nhựa"),
        hs_codes=("392010", "392020"),
        hs_slot="polymer",
        price_usd=(1.6, 5.5),
        price_unit="kg",
        moq=3000,
        moq_unit="kg",
        certifications=("ISO9001", "FDA"),
        slots={
            "polymer": (T("PE", "polyethylene", "PE"), T("BOPP", "BOPP", "BOPP")),
            "use": (
                T("농업용 멀칭", "agricultural mulch", "phủ luống nông nghiệp"),
                T("식품 포장", "food packaging", "bao bì thực phẩm"),
                T("산업용 보호", "surface protection", "bảo vệ bề mặt"),
            ),
            "thk": _same("20 µm", "30 µm", "50 µm", "80 µm"),
        },
        en=("{polymer} film {thk} for {use}", "{use} film, {polymer}, {thk}, printed or plain"),
        ko=("{use}용 {polymer} 필름 {thk}",),
        vi=("Màng {polymer} {thk} cho {use}",),
    ),
    ProductType(
        key="kraft_paper",
        industry=Industry.PAPER,
        name=T("골판지 원지", "containerboard", "giấy làm bao bì"),
        hs_codes=("480411", "480519"),
        hs_slot="grade",
        price_usd=(380.0, 820.0),
        price_unit="ton",
        moq=20,
        moq_unit="ton",
        certifications=("ISO9001", "FSC"),
        slots={
            "grade": (
                T("크라프트 라이너", "kraftliner", "giấy kraft liner"),
                T("골심지", "fluting medium", "giấy sóng"),
            ),
            "gsm": _same("120 gsm", "150 gsm", "175 gsm", "200 gsm"),
        },
        en=("{grade}, {gsm}, in reels", "Unbleached {grade} {gsm} for corrugated boxes"),
        ko=("{grade} {gsm} 롤",),
        vi=("{grade} {gsm}, dạng cuộn",),
    ),
    ProductType(
        key="tissue",
        industry=Industry.PAPER,
        name=T("화장지", "tissue paper", "giấy vệ sinh"),
        hs_codes=("481810", "480300"),
        hs_slot="kind",
        price_usd=(900.0, 2100.0),
        price_unit="ton",
        moq=10,
        moq_unit="ton",
        certifications=("ISO9001", "FSC"),
        slots={
            "kind": (
                T("두루마리 화장지", "toilet rolls", "giấy vệ sinh cuộn"),
                T("점보롤 원지", "jumbo parent rolls", "cuộn giấy mẹ jumbo"),
            )
        },
        en=("{kind}, 100% virgin pulp, 3-ply", "{kind} from virgin pulp"),
        ko=("{kind} (천연펄프 100%)",),
        vi=("{kind}, 100% bột giấy nguyên sinh",),
    ),
    # ---- Jewellery, semiconductor equipment, electronics, consumer goods -------------------
    ProductType(
        key="silver_jewellery",
        industry=Industry.JEWELLERY,
        name=T("은 주얼리", "silver jewellery", "trang sức bạc"),
        hs_codes=("711311",),
        price_usd=(6.0, 120.0),
        price_unit="piece",
        moq=100,
        moq_unit="piece",
        certifications=("ISO9001", "RJC"),
        slots={
            "item": (
                T("반지", "rings", "nhẫn"),
                T("목걸이", "necklaces", "dây chuyền"),
                T("귀걸이", "earrings", "bông tai"),
                T("팔찌", "bracelets", "vòng tay"),
            ),
            "style": (
                T("미니멀", "minimalist", "tối giản"),
                T("큐빅 세팅", "cubic zirconia set", "đính đá CZ"),
                T("K-팝 스타일", "K-pop inspired", "phong cách K-pop"),
            ),
        },
        en=(
            "925 sterling silver {item}, {style}, made in Iksan",
            "{style} silver {item}, rhodium plated",
        ),
        ko=("{style} 925 실버 {item} (익산 제작)",),
        vi=("{item} bạc 925, {style}",),
    ),
    ProductType(
        key="gold_jewellery",
        industry=Industry.JEWELLERY,
        name=T("금 주얼리", "gold jewellery", "trang sức vàng"),
        hs_codes=("711319",),
        price_usd=(70.0, 1600.0),
        price_unit="piece",
        moq=20,
        moq_unit="piece",
        certifications=("ISO9001", "RJC"),
        slots={
            "item": (
                T("반지", "rings", "nhẫn"),
                T("목걸이", "necklaces", "dây chuyền"),
                T("귀걸이", "earrings", "bông tai"),
            ),
            "karat": _same("14K", "18K"),
        },
        en=(
            "{karat} gold {item}, handcrafted",
            "{karat} gold {item} for bridal and gift collections",
        ),
        ko=("{karat} 금 {item}",),
        vi=("{item} vàng {karat}",),
    ),
    ProductType(
        key="semiconductor_equipment",
        industry=Industry.SEMICONDUCTOR_EQUIPMENT,
        name=T("반도체 장비", "semiconductor equipment", "thiết bị bán dẫn"),
        hs_codes=("848620",),
        price_usd=(45000.0, 950000.0),
        price_unit="unit",
        moq=1,
        moq_unit="unit",
        certifications=("ISO9001", "CE", "SEMIS2"),
        slots={
            "kind": (
                T("웨이퍼 세정 장비", "wafer cleaning system", "hệ thống rửa wafer"),
                T("PECVD 증착 장비", "PECVD deposition tool", "thiết bị lắng đọng PECVD"),
                T("건식 식각 장비", "dry etcher", "thiết bị khắc khô"),
            ),
            "wafer": _same("200 mm", "300 mm"),
        },
        en=("{kind} for {wafer} wafers, SEMI S2 compliant", "Refurbished and new {kind} ({wafer})"),
        ko=("{wafer} 웨이퍼용 {kind}",),
        vi=("{kind} cho wafer {wafer}",),
    ),
    ProductType(
        key="semiconductor_parts",
        industry=Industry.SEMICONDUCTOR_EQUIPMENT,
        name=T("반도체 장비 부품", "semiconductor equipment parts", "linh kiện thiết bị bán dẫn"),
        hs_codes=("848690",),
        price_usd=(150.0, 22000.0),
        price_unit="piece",
        moq=5,
        moq_unit="piece",
        certifications=("ISO9001", "ISO14001"),
        slots={
            "part": (
                T("정전척(ESC)", "electrostatic chucks", "mâm tĩnh điện ESC"),
                T("챔버 부품", "chamber kits", "bộ linh kiện buồng"),
                T("쿼츠 링", "quartz rings", "vòng thạch anh"),
            ),
        },
        en=("{part} for etch and CVD tools", "Precision-machined {part}, cleanroom packed"),
        ko=("식각·증착 장비용 {part}",),
        vi=("{part} cho thiết bị khắc và CVD",),
    ),
    ProductType(
        key="led_lighting",
        industry=Industry.ELECTRONICS,
        name=T("LED 조명", "LED lighting", "đèn LED"),
        hs_codes=("940542",),
        price_usd=(6.0, 420.0),
        price_unit="piece",
        moq=200,
        moq_unit="piece",
        certifications=("KC", "CE", "ROHS", "UL", "BIS"),
        slots={
            "kind": (
                T("공장등", "high-bay lights", "đèn nhà xưởng"),
                T("가로등", "street lights", "đèn đường"),
                T("평판 조명", "panel lights", "đèn panel"),
                T("식물 생장등", "grow lights", "đèn trồng cây"),
            ),
            "watt": _same("40 W", "100 W", "150 W", "200 W"),
        },
        en=("LED {kind} {watt}, IP65, 5-year warranty", "{watt} LED {kind}, 160 lm/W"),
        ko=("LED {kind} {watt}",),
        vi=("Đèn LED {kind} {watt}, IP65",),
    ),
    ProductType(
        key="kitchenware",
        industry=Industry.CONSUMER_GOODS,
        name=T("주방용품", "kitchenware", "đồ dùng nhà bếp"),
        hs_codes=("732393",),
        price_usd=(4.0, 95.0),
        price_unit="set",
        moq=300,
        moq_unit="set",
        certifications=("ISO9001", "KC", "FDA"),
        slots={
            "item": (
                T("스테인리스 냄비 세트", "stainless steel cookware sets", "bộ nồi inox"),
                T(
                    "스테인리스 수저 세트",
                    "stainless steel chopsticks and spoons",
                    "bộ đũa thìa inox",
                ),
                T("밀폐용기", "stainless food containers", "hộp đựng thực phẩm inox"),
            ),
        },
        en=("{item}, 3-ply base, induction ready", "Korean {item}, gift boxed"),
        ko=("{item} (인덕션 겸용)",),
        vi=("{item} Hàn Quốc, hộp quà",),
    ),
)

PRODUCT_KEYS: tuple[str, ...] = tuple(p.key for p in PRODUCT_TYPES)
PRODUCT_INDEX: dict[str, int] = {k: i for i, k in enumerate(PRODUCT_KEYS)}

# ---------------------------------------------------------------------------------------------
# Vocabularies shared with the hidden fit (bit positions must never be reordered within a
# demo version: they index bitmasks)
# ---------------------------------------------------------------------------------------------

CERTIFICATIONS: tuple[str, ...] = (
    "ISO9001",
    "ISO14001",
    "ISO22000",
    "HACCP",
    "HALAL",
    "FDA",
    "GMP",
    "CE",
    "KC",
    "KS",
    "UL",
    "ROHS",
    "IATF16949",
    "ISO13485",
    "ISO22716",
    "API6D",
    "ASME",
    "PED",
    "REACH",
    "GLP",
    "FSC",
    "RJC",
    "SEMIS2",
    "BIS",
    "CDSCO",
    "FSSAI",
    "VNCOSMETICNOTIFICATION",
    "VNFOODREGISTRATION",
)
CERT_BIT: dict[str, int] = {c: i for i, c in enumerate(CERTIFICATIONS)}

# Certifications that are a market's registration rather than a firm's quality system: a firm
# holds them because it sells there (or plans to).
MARKET_CERTS: frozenset[str] = frozenset(
    {"BIS", "CDSCO", "FSSAI", "VNCOSMETICNOTIFICATION", "VNFOODREGISTRATION", "HALAL"}
)

LANGUAGES: tuple[str, ...] = ("ko", "en", "vi", "hi", "zh", "ja", "th", "id", "ms", "km", "ar")
LANG_BIT: dict[str, int] = {code: i for i, code in enumerate(LANGUAGES)}

INDUSTRY_TERMS: dict[Industry, Term] = {
    Industry.FOOD: T("식품", "food", "thực phẩm"),
    Industry.FEED: T("사료", "animal feed", "thức ăn chăn nuôi"),
    Industry.COSMETICS: T("화장품", "cosmetics", "mỹ phẩm"),
    Industry.AGRI_MACHINERY: T("농기계", "agricultural machinery", "máy nông nghiệp"),
    Industry.INDUSTRIAL_MACHINERY: T(
        "산업기계·밸브", "industrial machinery and valves", "máy công nghiệp và van"
    ),
    Industry.CONSTRUCTION_MACHINERY: T("건설기계", "construction machinery", "máy xây dựng"),
    Industry.AUTO_PARTS: T("자동차 부품", "auto parts", "phụ tùng ô tô"),
    Industry.VEHICLES: T(
        "특장차·상용차",
        "special-purpose and commercial vehicles",
        "xe chuyên dụng và xe thương mại",
    ),
    Industry.CHEMICALS: T("정밀화학·수지", "fine chemicals and resins", "hóa chất tinh và nhựa"),
    Industry.AGROCHEMICALS: T("작물보호제", "agrochemicals", "nông dược"),
    Industry.PHARMACEUTICALS: T("의약품", "pharmaceuticals", "dược phẩm"),
    Industry.MEDICAL_DEVICES: T("의료기기", "medical devices", "thiết bị y tế"),
    Industry.METALS: T("금속·배관재", "metals, pipes and fittings", "kim loại, ống và phụ kiện"),
    Industry.PLASTICS: T("플라스틱 파이프·필름", "plastic pipes and film", "ống và màng nhựa"),
    Industry.PAPER: T("제지", "paper", "giấy"),
    Industry.ELECTRONICS: T("전자·조명", "electronics and lighting", "điện tử và chiếu sáng"),
    Industry.SEMICONDUCTOR_EQUIPMENT: T(
        "반도체 장비", "semiconductor equipment", "thiết bị bán dẫn"
    ),
    Industry.JEWELLERY: T("주얼리", "jewellery", "trang sức"),
    Industry.CONSUMER_GOODS: T("생활용품", "consumer goods", "hàng tiêu dùng"),
    Industry.SERVICES: T("수출지원 서비스", "export services", "dịch vụ xuất khẩu"),
}

# Manufacturers by industry: the province's export items plus the SME staples (domain.md).
MANUFACTURER_INDUSTRIES: dict[Industry, float] = {
    Industry.FOOD: 0.20,
    Industry.COSMETICS: 0.12,
    Industry.FEED: 0.03,
    Industry.AGRI_MACHINERY: 0.06,
    Industry.INDUSTRIAL_MACHINERY: 0.09,
    Industry.CONSTRUCTION_MACHINERY: 0.03,
    Industry.VEHICLES: 0.03,
    Industry.AUTO_PARTS: 0.09,
    Industry.CHEMICALS: 0.06,
    Industry.AGROCHEMICALS: 0.03,
    Industry.PHARMACEUTICALS: 0.03,
    Industry.MEDICAL_DEVICES: 0.04,
    Industry.METALS: 0.08,
    Industry.PLASTICS: 0.04,
    Industry.PAPER: 0.02,
    Industry.ELECTRONICS: 0.02,
    Industry.SEMICONDUCTOR_EQUIPMENT: 0.02,
    Industry.JEWELLERY: 0.02,
    Industry.CONSUMER_GOODS: 0.02,
}

# What importers in each region ask for (Vietnam: food and cosmetics first, then cars,
# agrochemicals and paper; India: agro-pharma, chemicals, machinery, auto parts).
BUYER_FOCUS: dict[str, dict[Industry, float]] = {
    "VN": {
        Industry.FOOD: 0.26,
        Industry.COSMETICS: 0.22,
        Industry.AGROCHEMICALS: 0.05,
        Industry.CHEMICALS: 0.04,
        Industry.PAPER: 0.04,
        Industry.VEHICLES: 0.03,
        Industry.AUTO_PARTS: 0.05,
        Industry.INDUSTRIAL_MACHINERY: 0.08,
        Industry.METALS: 0.06,
        Industry.AGRI_MACHINERY: 0.04,
        Industry.PLASTICS: 0.03,
        Industry.MEDICAL_DEVICES: 0.03,
        Industry.PHARMACEUTICALS: 0.02,
        Industry.CONSTRUCTION_MACHINERY: 0.02,
        Industry.ELECTRONICS: 0.02,
        Industry.FEED: 0.02,
        Industry.CONSUMER_GOODS: 0.02,
        Industry.JEWELLERY: 0.01,
    },
    "IN": {
        Industry.AGROCHEMICALS: 0.08,
        Industry.PHARMACEUTICALS: 0.06,
        Industry.CHEMICALS: 0.10,
        Industry.INDUSTRIAL_MACHINERY: 0.14,
        Industry.METALS: 0.10,
        Industry.AUTO_PARTS: 0.10,
        Industry.VEHICLES: 0.06,
        Industry.CONSTRUCTION_MACHINERY: 0.05,
        Industry.AGRI_MACHINERY: 0.06,
        Industry.COSMETICS: 0.06,
        Industry.FOOD: 0.05,
        Industry.MEDICAL_DEVICES: 0.05,
        Industry.ELECTRONICS: 0.03,
        Industry.PLASTICS: 0.03,
        Industry.SEMICONDUCTOR_EQUIPMENT: 0.01,
        Industry.JEWELLERY: 0.02,
    },
    "OTHER": {
        Industry.FOOD: 0.22,
        Industry.COSMETICS: 0.20,
        Industry.INDUSTRIAL_MACHINERY: 0.10,
        Industry.METALS: 0.06,
        Industry.AUTO_PARTS: 0.07,
        Industry.CHEMICALS: 0.06,
        Industry.AGRI_MACHINERY: 0.05,
        Industry.MEDICAL_DEVICES: 0.05,
        Industry.ELECTRONICS: 0.04,
        Industry.SEMICONDUCTOR_EQUIPMENT: 0.03,
        Industry.PLASTICS: 0.03,
        Industry.PAPER: 0.03,
        Industry.CONSUMER_GOODS: 0.03,
        Industry.JEWELLERY: 0.03,
    },
}

CONSUMER = frozenset(
    {Industry.FOOD, Industry.COSMETICS, Industry.CONSUMER_GOODS, Industry.JEWELLERY}
)
MEDICAL = frozenset({Industry.MEDICAL_DEVICES, Industry.PHARMACEUTICALS})
AGRI = frozenset({Industry.AGRI_MACHINERY, Industry.AGROCHEMICALS, Industry.FEED})

CHANNELS: dict[str, tuple[Term, ...]] = {
    "consumer": (
        T("대형마트", "supermarket chains", "chuỗi siêu thị"),
        T("편의점", "convenience stores", "cửa hàng tiện lợi"),
        T(
            "온라인 쇼핑몰",
            "online marketplaces (Shopee, Lazada, Tiki)",
            "sàn thương mại điện tử (Shopee, Lazada, Tiki)",
        ),
        T("K-뷰티·K-푸드 전문점", "K-beauty and K-food shops", "cửa hàng K-beauty và K-food"),
        T("도매시장", "wholesale markets", "chợ đầu mối"),
    ),
    "industrial": (
        T("산업 프로젝트", "industrial projects", "dự án công nghiệp"),
        T("EPC 건설사", "EPC contractors", "nhà thầu EPC"),
        T("현지 공장", "local factories", "nhà máy trong nước"),
        T("정부 조달", "public tenders", "đấu thầu công"),
    ),
    "medical": (
        T("병원·클리닉", "hospitals and clinics", "bệnh viện và phòng khám"),
        T("약국 체인", "pharmacy chains", "chuỗi nhà thuốc"),
    ),
    "agri": (
        T("농업 협동조합", "farmers' cooperatives", "hợp tác xã nông nghiệp"),
        T("농자재 대리점", "agri-input dealers", "đại lý vật tư nông nghiệp"),
    ),
}


def channel_group(industry: Industry) -> str:
    if industry in CONSUMER:
        return "consumer"
    if industry in MEDICAL:
        return "medical"
    if industry in AGRI:
        return "agri"
    return "industrial"


# ---------------------------------------------------------------------------------------------
# Services (the policy's manufacturing-service pairings)
# ---------------------------------------------------------------------------------------------

SERVICE_LABELS: dict[ServiceType, Term] = {
    ServiceType.DESIGN_BRANDING: T(
        "디자인·브랜딩", "design and branding", "thiết kế và thương hiệu"
    ),
    ServiceType.IT_SOFTWARE: T("IT·소프트웨어", "IT and software", "CNTT và phần mềm"),
    ServiceType.DIGITAL_HEALTH: T("디지털 헬스", "digital health", "y tế số"),
    ServiceType.ENGINEERING_PM: T(
        "엔지니어링·PM", "engineering and project management", "kỹ thuật và quản lý dự án"
    ),
    ServiceType.CONTENT_MARKETING: T("콘텐츠 마케팅", "content marketing", "tiếp thị nội dung"),
    ServiceType.LOGISTICS: T("물류", "logistics", "logistics"),
    ServiceType.CERTIFICATION_CONSULTING: T(
        "인증 컨설팅", "certification consulting", "tư vấn chứng nhận"
    ),
    ServiceType.INTERPRETATION_LOCALISATION: T(
        "통번역·현지화", "interpretation and localisation", "phiên dịch và bản địa hóa"
    ),
    ServiceType.MARKET_RESEARCH: T("시장조사", "market research", "nghiên cứu thị trường"),
    ServiceType.SMART_FACTORY: T("스마트공장", "smart factory", "nhà máy thông minh"),
    ServiceType.AI_MANUFACTURING: T("제조 AI", "AI for manufacturing", "AI cho sản xuất"),
    ServiceType.AUTONOMOUS_DRIVING: T("자율주행", "autonomous driving", "lái tự động"),
    ServiceType.RENTAL_MAINTENANCE: T(
        "렌탈·유지보수", "rental and maintenance", "cho thuê và bảo trì"
    ),
    ServiceType.MEDICAL_IT_TRAINING: T(
        "의료IT·교육", "medical IT and training", "CNTT y tế và đào tạo"
    ),
}

SERVICE_WEIGHTS: dict[ServiceType, float] = {
    ServiceType.DESIGN_BRANDING: 0.11,
    ServiceType.IT_SOFTWARE: 0.12,
    ServiceType.DIGITAL_HEALTH: 0.05,
    ServiceType.ENGINEERING_PM: 0.07,
    ServiceType.CONTENT_MARKETING: 0.11,
    ServiceType.LOGISTICS: 0.10,
    ServiceType.CERTIFICATION_CONSULTING: 0.09,
    ServiceType.INTERPRETATION_LOCALISATION: 0.09,
    ServiceType.MARKET_RESEARCH: 0.08,
    ServiceType.SMART_FACTORY: 0.06,
    ServiceType.AI_MANUFACTURING: 0.04,
    ServiceType.AUTONOMOUS_DRIVING: 0.02,
    ServiceType.RENTAL_MAINTENANCE: 0.04,
    ServiceType.MEDICAL_IT_TRAINING: 0.02,
}

# Slots: {sector} (a manufacturing industry), {market}, {certs}, {langname}.
SERVICE_TEMPLATES: dict[ServiceType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ServiceType.DESIGN_BRANDING: (
        (
            "{market} 진출 {sector} 기업을 위한 패키지 디자인·브랜딩",
            "{sector} 수출 상품 현지화 디자인 및 브랜드 아이덴티티",
        ),
        (
            "Package design and brand identity for {sector} exporters entering {market}",
            "Localised packaging and label design for {sector} products sold in {market}",
        ),
    ),
    ServiceType.IT_SOFTWARE: (
        (
            "{sector} 기업용 다국어 수출 홈페이지·B2B 카탈로그 구축",
            "수출기업 ERP·주문관리 시스템 연동 개발",
        ),
        (
            "Multilingual export websites and B2B catalogues for {sector} firms",
            "ERP and order-management integration for exporters selling to {market}",
        ),
    ),
    ServiceType.DIGITAL_HEALTH: (
        ("{market} 병원 대상 의료기기 연계 원격진료·환자모니터링 플랫폼",),
        (
            "Telemedicine and remote patient monitoring bundled with Korean medical devices for "
            "hospitals in {market}",
            "Digital-health apps that pair with medical devices, localised for {market}",
        ),
    ),
    ServiceType.ENGINEERING_PM: (
        ("{market} {sector} 프로젝트 설계·시공감리·사업관리",),
        (
            "Plant engineering, installation supervision and project management for {sector} "
            "projects in {market}",
            "EPC support and commissioning for {sector} equipment exported to {market}",
        ),
    ),
    ServiceType.CONTENT_MARKETING: (
        (
            "{market} 대상 SNS·인플루언서 마케팅 및 K-콘텐츠 홍보",
            "{sector} 브랜드 숏폼 영상·라이브커머스 제작",
        ),
        (
            "SNS and influencer marketing (Facebook, TikTok, Zalo) for {sector} brands in {market}",
            "K-content videos and live commerce for {sector} brands targeting {market}",
        ),
    ),
    ServiceType.LOGISTICS: (
        ("{market}행 해상·항공 운송, 통관, 보세창고 대행", "콜드체인 수출 물류 ({sector})"),
        (
            "Door-to-door sea and air freight, customs clearance and bonded warehousing to "
            "{market}",
            "Cold-chain and LCL consolidation for {sector} exports to {market}",
        ),
    ),
    ServiceType.CERTIFICATION_CONSULTING: (
        ("{market} 수출 {sector} 인증·등록 컨설팅 ({certs})",),
        (
            "Certification and product-registration consulting ({certs}) for {sector} exports to "
            "{market}",
            "Regulatory dossiers and testing for {certs} approval in {market}",
        ),
    ),
    ServiceType.INTERPRETATION_LOCALISATION: (
        (
            "바이어 상담 통역 및 기술문서 번역 (한국어–{langname})",
            "{sector} 카탈로그·매뉴얼 현지어 번역",
        ),
        (
            "Technical interpretation for buyer meetings and translation of manuals "
            "(Korean–{langname})",
            "Localisation of {sector} catalogues and websites into {langname}",
        ),
    ),
    ServiceType.MARKET_RESEARCH: (
        ("{market} {sector} 시장조사·바이어 발굴·현지 가격대 조사",),
        (
            "Market research, importer discovery and local price-band surveys for {sector} in "
            "{market}",
            "Distribution-channel and competitor analysis for {sector} in {market}",
        ),
    ),
    ServiceType.SMART_FACTORY: (
        ("{sector} 공장 스마트팩토리 구축 (MES, IoT 센서, PLC)",),
        (
            "Smart-factory solutions (MES, IoT sensors, PLC retrofits) for {sector} plants",
            "Smart-factory packages sold with Korean machinery to plants in {market}",
        ),
    ),
    ServiceType.AI_MANUFACTURING: (
        ("AI 비전 검사·예지보전 솔루션 (자동차부품 등 제조공정)",),
        (
            "AI vision inspection and predictive maintenance for {sector} production lines",
            "Machine-learning quality control for auto-parts and machining lines",
        ),
    ),
    ServiceType.AUTONOMOUS_DRIVING: (
        ("특장차·상용차용 자율주행 소프트웨어 및 ADAS 통합",),
        (
            "Autonomous-driving software and ADAS integration for special-purpose and commercial "
            "vehicles",
            "Driver-assistance retrofits for trucks and buses exported to {market}",
        ),
    ),
    ServiceType.RENTAL_MAINTENANCE: (
        ("{market} 현지 {sector} 장비 렌탈·유지보수·부품 공급",),
        ("Equipment rental, after-sales maintenance and spare parts for {sector} in {market}",),
    ),
    ServiceType.MEDICAL_IT_TRAINING: (
        ("{market} 병원 건립 연계 의료정보시스템(HIS/PACS) 및 의료진 교육",),
        (
            "Hospital information systems (HIS/PACS) and clinical staff training for hospital "
            "projects in {market}",
        ),
    ),
}

SERVICE_SECTORS: dict[ServiceType, tuple[Industry, ...]] = {
    ServiceType.DESIGN_BRANDING: (
        Industry.FOOD,
        Industry.COSMETICS,
        Industry.CONSUMER_GOODS,
        Industry.JEWELLERY,
    ),
    ServiceType.IT_SOFTWARE: tuple(MANUFACTURER_INDUSTRIES),
    ServiceType.DIGITAL_HEALTH: (Industry.MEDICAL_DEVICES,),
    ServiceType.ENGINEERING_PM: (
        Industry.INDUSTRIAL_MACHINERY,
        Industry.METALS,
        Industry.CHEMICALS,
        Industry.CONSTRUCTION_MACHINERY,
    ),
    ServiceType.CONTENT_MARKETING: (Industry.FOOD, Industry.COSMETICS, Industry.CONSUMER_GOODS),
    ServiceType.LOGISTICS: tuple(MANUFACTURER_INDUSTRIES),
    ServiceType.CERTIFICATION_CONSULTING: (
        Industry.FOOD,
        Industry.COSMETICS,
        Industry.MEDICAL_DEVICES,
        Industry.INDUSTRIAL_MACHINERY,
        Industry.ELECTRONICS,
        Industry.PHARMACEUTICALS,
    ),
    ServiceType.INTERPRETATION_LOCALISATION: tuple(MANUFACTURER_INDUSTRIES),
    ServiceType.MARKET_RESEARCH: tuple(MANUFACTURER_INDUSTRIES),
    ServiceType.SMART_FACTORY: (
        Industry.INDUSTRIAL_MACHINERY,
        Industry.AUTO_PARTS,
        Industry.FOOD,
        Industry.PLASTICS,
    ),
    ServiceType.AI_MANUFACTURING: (
        Industry.AUTO_PARTS,
        Industry.METALS,
        Industry.SEMICONDUCTOR_EQUIPMENT,
    ),
    ServiceType.AUTONOMOUS_DRIVING: (Industry.VEHICLES, Industry.AGRI_MACHINERY),
    ServiceType.RENTAL_MAINTENANCE: (
        Industry.AGRI_MACHINERY,
        Industry.CONSTRUCTION_MACHINERY,
        Industry.MEDICAL_DEVICES,
    ),
    ServiceType.MEDICAL_IT_TRAINING: (Industry.MEDICAL_DEVICES, Industry.PHARMACEUTICALS),
}

MARKET_TERMS: dict[str, Term] = {
    "VN": T("베트남", "Vietnam", "Việt Nam"),
    "IN": T("인도", "India", "Ấn Độ"),
    "ASEAN": T("동남아", "Southeast Asia", "Đông Nam Á"),
}
MARKET_CERT_TEXT: dict[str, str] = {
    "VN": "cosmetic notification, food registration",
    "IN": "BIS, CDSCO, FSSAI",
    "ASEAN": "HALAL, product registration",
}

# ---------------------------------------------------------------------------------------------
# Units (product price/MOQ units and need quantities) and funnel notes
# ---------------------------------------------------------------------------------------------

UNITS: dict[str, Term] = {
    "carton": T("박스", "cartons", "thùng"),
    "kg": T("kg", "kg", "kg"),
    "ton": T("톤", "tons", "tấn"),
    "piece": T("개", "pieces", "cái"),
    "unit": T("대", "units", "chiếc"),
    "set": T("세트", "sets", "bộ"),
    "box": T("박스", "boxes", "hộp"),
    "liter": T("리터", "liters", "lít"),
    "bottle": T("병", "bottles", "chai"),
    "container": T("20피트 컨테이너", "containers (20ft)", "container 20 feet"),
}


@cache
def _slot_names(template: str) -> frozenset[str]:
    return frozenset(f for _, f, _, _ in string.Formatter().parse(template) if f)


_HS_DIGITS = re.compile(r"^\d{6}$")


def validate_catalog() -> None:
    """Fail loudly on a catalogue typo: unknown HS codes, template slots without options,
    slot-dependent HS codes whose options do not line up, or certifications outside the
    vocabulary. Called by the generator and the tests, not at import (the HS nomenclature
    takes a moment to load)."""
    seen: set[str] = set()
    for p in PRODUCT_TYPES:
        if p.key in seen:
            raise ValueError(f"duplicate product type {p.key}")
        seen.add(p.key)
        for code in p.hs_codes:
            for prefix in (code, code[:4], code[:2]):
                if not _HS_DIGITS.match(code) or not hscodes.is_known(prefix):
                    raise ValueError(f"{p.key}: HS code {prefix} is not in the nomenclature")
        if p.hs_slot is not None and len(p.slots[p.hs_slot]) != len(p.hs_codes):
            raise ValueError(f"{p.key}: hs_slot '{p.hs_slot}' options do not line up with codes")
        if p.price_usd[0] <= 0 or p.price_usd[0] >= p.price_usd[1]:
            raise ValueError(f"{p.key}: bad price band {p.price_usd}")
        if p.price_unit not in UNITS or p.moq_unit not in UNITS:
            raise ValueError(f"{p.key}: unknown unit")
        for cert in p.certifications:
            if cert not in CERT_BIT:
                raise ValueError(f"{p.key}: certification {cert} is not in the vocabulary")
        for lang in TEXT_LANGUAGES:
            if not p.templates(lang):
                raise ValueError(f"{p.key}: no {lang} template")
            for tpl in p.templates(lang):
                missing = _slot_names(tpl) - set(p.slots)
                if missing:
                    raise ValueError(f"{p.key}: template slots {sorted(missing)} have no options")
    for industry in MANUFACTURER_INDUSTRIES:
        if not any(p.industry == industry for p in PRODUCT_TYPES):
            raise ValueError(f"industry {industry} has no product type")
    if len(CERTIFICATIONS) > 63 or len(LANGUAGES) > 15:
        raise ValueError("vocabularies must fit their bitmasks")


BUYER_TYPE_TERMS: dict[str, Term] = {
    "distributor": T("유통업체", "distributor", "nhà phân phối"),
    "wholesaler": T("도매업체", "wholesaler", "nhà bán buôn"),
    "retailer": T("소매업체", "retailer", "nhà bán lẻ"),
    "e-commerce": T("온라인 판매업체", "online seller", "nhà bán hàng trực tuyến"),
    "manufacturer": T("제조업체", "manufacturer", "nhà sản xuất"),
    "hospital": T("병원", "hospital group", "bệnh viện"),
    "other": T("수입업체", "importer", "nhà nhập khẩu"),
}
POSITIONING_TERMS: dict[str, Term] = {
    "premium": T("프리미엄 시장", "premium segment", "phân khúc cao cấp"),
    "mid": T("중가 시장", "mid-market", "phân khúc trung cấp"),
    "value": T("저가 시장", "value segment", "phân khúc giá rẻ"),
}
LANGUAGE_NAMES: dict[str, Term] = {
    "vi": T("베트남어", "Vietnamese", "tiếng Việt"),
    "hi": T("힌디어", "Hindi", "tiếng Hindi"),
    "en": T("영어", "English", "tiếng Anh"),
}
# Markets Korean firms already serve, with how often they appear.
EXPORT_MARKETS: dict[str, tuple[Term, float]] = {
    "VN": (T("베트남", "Vietnam", "Việt Nam"), 0.22),
    "US": (T("미국", "the US", "Mỹ"), 0.12),
    "CN": (T("중국", "China", "Trung Quốc"), 0.12),
    "JP": (T("일본", "Japan", "Nhật Bản"), 0.10),
    "IN": (T("인도", "India", "Ấn Độ"), 0.08),
    "TH": (T("태국", "Thailand", "Thái Lan"), 0.05),
    "ID": (T("인도네시아", "Indonesia", "Indonesia"), 0.05),
    "MY": (T("말레이시아", "Malaysia", "Malaysia"), 0.04),
    "PH": (T("필리핀", "the Philippines", "Philippines"), 0.03),
    "AU": (T("호주", "Australia", "Úc"), 0.03),
    "DE": (T("독일", "Germany", "Đức"), 0.03),
    "AE": (T("아랍에미리트", "the UAE", "UAE"), 0.03),
    "SG": (T("싱가포르", "Singapore", "Singapore"), 0.04),
    "TW": (T("대만", "Taiwan", "Đài Loan"), 0.03),
    "MX": (T("멕시코", "Mexico", "Mexico"), 0.03),
}
