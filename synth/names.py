"""Names for a synthetic city: the city, its counties and districts, townships, street offices,
departments and development zones — all plausible, all unique, all matching what ``rules.bodies``
infers from a printed name (县人民政府 → county_gov, 镇人民政府 → township, …).

Place names avoid the characters the register normaliser treats as an enclosing city (市 州 省 盟),
so that two bodies never normalise to the same name.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

# (name, pinyin for web and mail addresses, telephone area code)
CITIES = (
    ("清江", "qingjiang", "0795"), ("云岭", "yunling", "0872"), ("临川", "linchuan", "0794"),
    ("宁远", "ningyuan", "0746"), ("安平", "anping", "0318"), ("丰城", "fengcheng", "0795"),
    ("江阳", "jiangyang", "0830"), ("青阳", "qingyang", "0566"), ("永安", "yongan", "0598"),
    ("兴宁", "xingning", "0753"), ("汉川", "hanchuan", "0712"), ("龙泉", "longquan", "0578"),
    ("南岭", "nanling", "0751"), ("东阳", "dongyang", "0579"), ("桐川", "tongchuan", "0919"),
)

COUNTY_NAMES = (
    "安福", "永丰", "泰和", "遂川", "万安", "新干", "峡江", "吉水", "永新", "宁都", "于都", "兴国", "瑞金",
    "会昌", "寻乌", "石城", "崇义", "大余", "上犹", "定南", "全南", "龙南", "信丰", "安远", "南康", "宜黄",
    "崇仁", "乐安", "南丰", "黎川", "资溪", "金溪", "广昌", "东乡", "铅山", "弋阳", "横峰", "万年", "余干",
    "鄱阳", "德兴", "婺源", "浮梁", "乐平", "修水", "武宁", "永修", "德安", "湖口", "彭泽", "都昌", "瑞昌",
    "奉新", "靖安", "铜鼓", "宜丰", "上高", "万载", "分宜", "芦溪", "莲花", "上栗", "安义", "进贤", "新建",
    "贵溪", "余江", "渝水", "章贡", "青原", "桃源", "慈利", "石门", "临澧", "汉寿", "沅江", "桃江", "安化",
    "新化", "涟源", "双峰", "邵东", "隆回", "洞口", "绥宁", "城步", "武冈", "新宁", "祁阳", "东安", "双牌",
    "江永", "蓝山", "嘉禾", "临武", "桂阳", "永兴", "资兴", "汝城", "桂东", "安仁", "茶陵", "炎陵",
)

_FIRST = "东西南北中上下新大小高长石白黄青红金银龙凤马桥河湖山岭田塘沙松柏桃李梅竹杨柳枫桂茶花安永太平和丰兴隆昌富顺宁康泰福仁义礼华"
_SECOND = "溪坪桥坝口湾塘埠村庄店集坊源江冲铺岗洲田坑山岭圩阳林港头滩岩河湖亭"
STREET_NAMES = (
    "城东", "城西", "城南", "城北", "城关", "东城", "西城", "南城", "北城", "江滨", "湖滨", "滨江", "站前", "府前",
    "人民路", "解放路", "建设路", "新华", "文昌", "凤凰", "龙山", "青云", "白鹭", "西湖", "东湖", "花园", "朝阳",
    "向阳", "河西", "河东", "五一", "八一", "沿江", "清泉", "文峰", "金山", "银河", "紫阳", "书院", "古城",
)
_FORBIDDEN = set("市州省盟县区乡镇街")

# department (without the place prefix), how it refers to itself, a short alias (or "")
DEPARTMENTS = (
    ("人民政府办公室", ("我办", "本办"), "政府办公室"), ("教育局", ("我局", "本局"), ""),
    ("财政局", ("我局", "本局"), ""), ("发展和改革局", ("我局", "本局"), "发改局"),
    ("公安局", ("我局", "本局"), ""), ("民政局", ("我局", "本局"), ""), ("司法局", ("我局", "本局"), ""),
    ("人力资源和社会保障局", ("我局", "本局"), "人社局"), ("自然资源局", ("我局", "本局"), ""),
    ("生态环境局", ("我局", "本局"), ""), ("住房和城乡建设局", ("我局", "本局"), "住建局"),
    ("交通运输局", ("我局", "本局"), ""), ("水利局", ("我局", "本局"), ""), ("农业农村局", ("我局", "本局"), ""),
    ("商务局", ("我局", "本局"), ""), ("文化广电新闻出版旅游局", ("我局", "本局"), "文广新旅局"),
    ("卫生健康委员会", ("我委", "本委"), "卫健委"), ("退役军人事务局", ("我局", "本局"), ""),
    ("应急管理局", ("我局", "本局"), ""), ("审计局", ("我局", "本局"), ""),
    ("市场监督管理局", ("我局", "本局"), "市场监管局"), ("统计局", ("我局", "本局"), ""),
    ("医疗保障局", ("我局", "本局"), "医保局"), ("林业局", ("我局", "本局"), ""),
    ("城市管理局", ("我局", "本局"), "城管局"), ("行政审批局", ("我局", "本局"), ""),
    ("信访局", ("我局", "本局"), ""), ("科学技术局", ("我局", "本局"), "科技局"),
    ("工业和信息化局", ("我局", "本局"), "工信局"), ("体育局", ("我局", "本局"), ""),
    ("民族宗教事务局", ("我局", "本局"), "民宗局"), ("政务服务管理局", ("我局", "本局"), ""),
    ("乡村振兴局", ("我局", "本局"), ""), ("粮食和物资储备局", ("我局", "本局"), "粮食局"),
    ("人民防空办公室", ("我办", "本办"), "人防办"), ("机关事务管理中心", ("我中心", "本中心"), ""),
)
ZONE_KINDS = ("经济技术开发区", "高新技术产业开发区", "工业园区", "综合保税区", "生态工业园区", "现代农业示范区")
ROADS = ("人民路", "解放路", "中山路", "建设路", "新华路", "滨江大道", "府前路", "文化路", "胜利路", "长安路",
         "迎宾大道", "朝阳路", "青年路", "和平路", "光明路", "城南大道", "五一路", "站前路")


@dataclass(frozen=True)
class CityBody:
    """One body of the synthetic city: the register row plus what its reports need to say about it."""

    body_id: str
    name: str
    kind: str
    parent_id: str | None
    aliases: tuple[str, ...]
    refs: tuple[str, ...]          # how the body refers to itself in prose (我镇, 本局, …)
    office: str                    # who answers questions on the report
    place: str                     # the county/district (or city) it belongs to, e.g. 安福县
    address: str
    postcode: str
    phone: str
    email: str
    site: str                      # its web portal
    url: str
    superior: str                  # the level that leads it, e.g. 县委、县政府


@dataclass
class NamePool:
    """Unique place names drawn deterministically from fixed lists, then from generated pairs."""

    rng: random.Random
    used: set[str] = field(default_factory=set)

    def _fresh(self, options: list[str]) -> str | None:
        for name in options:
            if name not in self.used and not (set(name) & _FORBIDDEN):
                self.used.add(name)
                return name
        return None

    def county(self) -> str:
        options = list(COUNTY_NAMES)
        self.rng.shuffle(options)
        return self._fresh(options) or self.generated()

    def street(self) -> str:
        options = list(STREET_NAMES)
        self.rng.shuffle(options)
        return self._fresh(options) or self.generated()

    def generated(self) -> str:
        for _ in range(400):
            name = self.rng.choice(_FIRST) + self.rng.choice(_SECOND)
            if name not in self.used and name[0] != name[1]:
                self.used.add(name)
                return name
        while True:  # two-character names exhausted: three characters
            name = self.rng.choice(_FIRST) + self.rng.choice(_FIRST) + self.rng.choice(_SECOND)
            if name not in self.used and len(set(name)) == 3:
                self.used.add(name)
                return name


@dataclass(frozen=True)
class Plan:
    """How many bodies of each kind: counties (with per-county quotas), city departments, zones."""

    counties: int
    districts: int
    city_departments: int
    zones: int
    quotas: tuple[tuple[int, int, int], ...]   # per county: departments, townships, streets


def plan(total: int) -> Plan:
    """Split ``total`` bodies into one city government, zones, counties/districts and their bodies."""
    if total < 1:
        raise ValueError("a city needs at least one body")
    zones = 0 if total < 8 else min(5, max(1, total // 250))
    rest = total - 1 - zones
    counties = 0 if rest <= 0 else min(rest, max(2, round(rest / 30)))
    rest -= counties
    city_departments = min(len(DEPARTMENTS), round(rest * 0.12))
    rest -= city_departments
    districts = counties // 3 if counties >= 3 else (1 if counties == 2 else 0)
    quotas = []
    for i in range(counties):
        share = rest // counties + (1 if i < rest % counties else 0)
        district = i < districts
        depts = min(len(DEPARTMENTS), round(share * 0.45))
        streets = round(share * (0.4 if district else 0.12))
        towns = share - depts - streets
        quotas.append((depts, towns, streets))
    return Plan(counties, districts, city_departments, zones, tuple(quotas))


def build_bodies(total: int, rng: random.Random) -> list[CityBody]:
    """The register of a city with ``total`` bodies, in a stable order (city, its departments, zones,
    then each county or district followed by its departments, townships and street offices)."""
    layout = plan(total)
    city_name, pinyin, area = CITIES[rng.randrange(len(CITIES))]
    pool = NamePool(rng, {city_name})
    city = f"{city_name}市"
    domain = f"{pinyin}.gov.cn"
    bodies: list[CityBody] = []
    counter = iter(range(1, 10**6))

    def contact(body_id: str, place: str, refs: tuple[str, ...], office: str) -> dict:
        n = next(counter)
        return {"office": office, "refs": refs,
                "address": f"{place}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                "postcode": f"{rng.randint(100, 999)}{rng.randint(0, 9)}00",
                "phone": f"{area}-{rng.randint(2, 8)}{rng.randint(100000, 999999)}",
                "email": f"xxgk{n:04d}@{domain}",
                "site": rng.choice(("门户网站", "政府网站", "政务网站")),
                "url": f"http://www.{domain}/{body_id.replace('-', '/')}/"}

    def add(body_id: str, name: str, kind: str, parent: str | None, aliases: tuple[str, ...], place: str,
            refs: tuple[str, ...], office: str, superior: str) -> None:
        bodies.append(CityBody(body_id, name, kind, parent, aliases, place=place, superior=superior,
                               **contact(body_id, place, refs, office)))

    add("city", f"{city}人民政府", "city_gov", None, (f"{city}政府",), city, ("我市", "市政府"),
        f"{city}人民政府办公室", "省委、省政府")
    for j, (dept, refs, short) in enumerate(_departments(layout.city_departments, rng, city_level=True), 1):
        aliases = (f"{city}{short}",) if short else ()
        add(f"city-dept{j:02d}", f"{city}{dept}", "department", "city", aliases, city, refs,
            f"{city}{dept}办公室" if not dept.endswith("办公室") else f"{city}{dept}", "市委、市政府")
    for z in range(1, layout.zones + 1):
        label = ZONE_KINDS[(z - 1) % len(ZONE_KINDS)]
        stem = city_name if z <= len(ZONE_KINDS) else pool.generated()
        name = f"{stem}{label}管委会"
        add(f"zone{z:02d}", name, "zone", "city", (f"{stem}{label}管理委员会",), city, ("我区", "管委会"),
            f"{stem}{label}管委会党政办公室", "市委、市政府")
    for i in range(layout.counties):
        district = i < layout.districts
        base = pool.county()
        suffix = "区" if district else "县"
        place = f"{base}{suffix}"
        cid = f"county{i + 1:02d}"
        add(cid, f"{place}人民政府", "county_gov", "city", (f"{place}政府",), place,
            ("我区", "区政府") if district else ("我县", "县政府"), f"{place}人民政府办公室", "市委、市政府")
        depts, towns, streets = layout.quotas[i]
        lead = "区委、区政府" if district else "县委、县政府"
        for j, (dept, refs, short) in enumerate(_departments(depts, rng, city_level=False), 1):
            aliases = (f"{place}{short}",) if short else ()
            office = f"{place}{dept}" if dept.endswith("办公室") else f"{place}{dept}办公室"
            add(f"{cid}-dept{j:02d}", f"{place}{dept}", "department", cid, aliases, place, refs, office, lead)
        for j in range(1, towns + 1):
            stem = pool.generated()
            unit = "乡" if rng.random() < 0.3 else "镇"
            add(f"{cid}-town{j:02d}", f"{stem}{unit}人民政府", "township", cid, (f"{stem}{unit}",),
                f"{place}{stem}{unit}", (f"我{unit}", f"本{unit}"), f"{stem}{unit}党政综合办公室", lead)
        for j in range(1, streets + 1):
            stem = pool.street()
            add(f"{cid}-street{j:02d}", f"{stem}街道办事处", "street", cid, (f"{stem}街道",),
                f"{place}{stem}街道", ("我街道", "本街道"), f"{stem}街道党政办公室", lead)
    assert len(bodies) == total, (len(bodies), total)
    return bodies


def _departments(n: int, rng: random.Random, city_level: bool) -> list[tuple[str, tuple[str, ...], str]]:
    """The first ``n`` departments: the 办公室 and the big bureaus first, the rest in seeded order."""
    head, tail = list(DEPARTMENTS[:6]), list(DEPARTMENTS[6:])
    rng.shuffle(tail)
    out = (head + tail)[:n]
    if city_level:
        out = [("发展和改革委员会", ("我委", "本委"), "发改委") if d[0] == "发展和改革局" else d for d in out]
    return out
