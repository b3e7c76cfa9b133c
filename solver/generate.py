"""Synthetic staffing-quota data: a city with its counties, or a province of such cities.

`generate` returns the eight input tables of docs/data.md. The first city of every scale is Bazhong
(profile "bazhong-2021"), whose city level reproduces exactly the figures of the seed report
(section 二(二)): its 292 institutions and their small-quota counts, the 64 departments and
~4,000 off-quota staff with the published system shares, the 187 surplus personnel with every
published breakdown, and the 236 requests for more quota; and (三(三)) the ages of its
administrative staff in the staff register. Everything the seed does not publish (counties,
townships, other cities) is synthetic but plausible.

Determinism: every random draw comes from `numpy.random.default_rng((seed, city, stream))`, so
the same seed gives the same tables, and Bazhong is the same city at every scale. A table added
later (the staff register) draws from a stream of its own, leaving the others as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from solver.cadres.rules import SCHEDULES, retirements

# --- the synthetic world's vocabulary -------------------------------------------------------

# system -> (sector, short Chinese label used in institution names)
SYSTEMS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "general_office": ("party_and_government", "机关综合"),
    "party_affairs": ("party_and_government", "党务"),
    "discipline": ("party_and_government", "纪检监察"),
    "mass_organizations": ("party_and_government", "群团"),
    "finance": ("party_and_government", "财政"),
    "audit": ("party_and_government", "审计"),
    "statistics": ("party_and_government", "统计"),
    "public_security": ("law_and_order", "公安"),
    "court": ("law_and_order", "审判"),
    "procuratorate": ("law_and_order", "检察"),
    "justice": ("law_and_order", "司法"),
    "emergency_management": ("law_and_order", "应急"),
    "development": ("economy", "发展改革"),
    "economy_and_information": ("economy", "经济信息"),
    "commerce": ("economy", "商务"),
    "investment_promotion": ("economy", "投资促进"),
    "market_regulation": ("economy", "市场监管"),
    "science": ("economy", "科技"),
    "housing": ("infrastructure", "住房城乡建设"),
    "transport": ("infrastructure", "交通运输"),
    "urban_management": ("infrastructure", "城市管理"),
    "natural_resources": ("infrastructure", "自然资源"),
    "water": ("infrastructure", "水利"),
    "health": ("social_services", "卫生健康"),
    "education": ("social_services", "教育"),
    "civil_affairs": ("social_services", "民政"),
    "human_resources": ("social_services", "人力资源社会保障"),
    "culture": ("social_services", "文化旅游"),
    "veterans": ("social_services", "退役军人"),
    "medical_security": ("social_services", "医疗保障"),
    "agriculture": ("rural_and_ecology", "农业"),
    "forestry": ("rural_and_ecology", "林业"),
    "ecology": ("rural_and_ecology", "生态环境"),
    "rural_revitalization": ("rural_and_ecology", "乡村振兴"),
})
SECTORS: tuple[str, ...] = tuple(dict.fromkeys(sector for sector, _ in SYSTEMS.values()))
# the sectors' names (names.csv; a system's name is its label above)
SECTOR_NAMES: Mapping[str, str] = MappingProxyType({
    "party_and_government": "党政机关", "law_and_order": "政法", "economy": "经济发展",
    "infrastructure": "城乡建设", "social_services": "社会事业", "rural_and_ecology": "农业农村与生态",
})
POLITICAL_LEGAL_SYSTEMS: tuple[str, ...] = ("public_security", "court", "procuratorate", "justice")
# The quota types the synthetic data holds, in the column order of its approved arrays: a
# subset of domain.QUOTA_TYPES. Worker posts (工勤编制) are not generated, so that the data of a
# seed stays byte-identical; readers and planners take every type from domain.QUOTA_TYPES.
QUOTA_TYPE_ORDER: tuple[str, ...] = ("administrative", "political_legal", "institution")
TABLE_NAMES: tuple[str, ...] = (
    "units", "quotas", "pool", "demands", "people", "task_groups", "aux_positions", "staff",
)
SKILLS: tuple[str, ...] = (
    "investment", "research", "writing", "outreach", "project_management", "law", "finance",
    "agriculture", "health", "engineering",
)
MIN_UNITS = 1_000
MAX_UNITS = 3_000_000


class _Organ:
    """A party or government department: one per city and (where `county` is set) per county."""

    __slots__ = ("system", "city", "county", "administrative", "political_legal")

    def __init__(self, system: str, city: str, county: str | None, administrative: int,
                 political_legal: int = 0) -> None:
        self.system, self.city, self.county = system, city, county
        self.administrative, self.political_legal = administrative, political_legal


class _Managed:
    """A civil-service-managed unit (参公): the quota type it holds and its typical size."""

    __slots__ = ("system", "city", "county", "size", "quota_type")

    def __init__(self, system: str, city: str, county: str | None, size: int,
                 quota_type: str = "institution") -> None:
        self.system, self.city, self.county = system, city, county
        self.size, self.quota_type = size, quota_type


# `{p}` is the city's or county's name. Sizes are typical approved quotas at city level;
# counties get about 60% of them.
ORGANS: tuple[_Organ, ...] = (
    _Organ("general_office", "{p}委办公室", "{p}委办公室", 45),
    _Organ("general_office", "{p}人民政府办公室", "{p}人民政府办公室", 50),
    _Organ("general_office", "{p}人大常委会办公室", "{p}人大常委会办公室", 35),
    _Organ("general_office", "{p}政协办公室", "{p}政协办公室", 30),
    _Organ("general_office", "{p}信访局", "{p}信访局", 18),
    _Organ("general_office", "{p}机关事务管理局", None, 15),
    _Organ("general_office", "{p}行政审批局", "{p}行政审批局", 20),
    _Organ("general_office", "{p}人民政府驻成都办事处", None, 10),
    _Organ("discipline", "{p}纪委监委机关", "{p}纪委监委机关", 90),
    _Organ("party_affairs", "{p}委组织部", "{p}委组织部", 40),
    _Organ("party_affairs", "{p}委宣传部", "{p}委宣传部", 28),
    _Organ("party_affairs", "{p}委统战部", "{p}委统战部", 22),
    _Organ("party_affairs", "{p}委政法委员会", "{p}委政法委员会", 20),
    _Organ("party_affairs", "{p}委机构编制委员会办公室", "{p}委机构编制委员会办公室", 15),
    _Organ("party_affairs", "{p}委政策研究室", None, 12),
    _Organ("party_affairs", "{p}直属机关工作委员会", "{p}直属机关工作委员会", 10),
    _Organ("party_affairs", "{p}委网络安全和信息化委员会办公室", "{p}委网信办", 12),
    _Organ("party_affairs", "{p}委老干部局", "{p}委老干部局", 12),
    _Organ("party_affairs", "{p}民族宗教事务局", None, 10),
    _Organ("mass_organizations", "{p}总工会", "{p}总工会", 15),
    _Organ("mass_organizations", "共青团{p}委", "共青团{p}委", 8),
    _Organ("mass_organizations", "{p}妇女联合会", "{p}妇女联合会", 8),
    _Organ("mass_organizations", "{p}文学艺术界联合会", None, 6),
    _Organ("mass_organizations", "{p}科学技术协会", "{p}科学技术协会", 8),
    _Organ("mass_organizations", "{p}工商业联合会", "{p}工商业联合会", 7),
    _Organ("mass_organizations", "{p}残疾人联合会", "{p}残疾人联合会", 8),
    _Organ("mass_organizations", "{p}社会科学界联合会", None, 6),
    _Organ("mass_organizations", "{p}红十字会", None, 5),
    _Organ("mass_organizations", "{p}归国华侨联合会", None, 4),
    _Organ("finance", "{p}财政局", "{p}财政局", 45),
    _Organ("finance", "{p}国有资产监督管理委员会", None, 15),
    _Organ("finance", "{p}地方金融监督管理局", None, 12),
    _Organ("audit", "{p}审计局", "{p}审计局", 30),
    _Organ("statistics", "{p}统计局", "{p}统计局", 20),
    _Organ("development", "{p}发展和改革委员会", "{p}发展和改革局", 45),
    _Organ("development", "{p}经济开发区管理委员会", None, 30),
    _Organ("economy_and_information", "{p}经济和信息化局", "{p}经济和信息化局", 30),
    _Organ("commerce", "{p}商务局", "{p}商务局", 22),
    _Organ("commerce", "{p}经济合作和外事局", None, 15),
    _Organ("investment_promotion", "{p}投资促进局", "{p}投资促进局", 18),
    _Organ("market_regulation", "{p}市场监督管理局", "{p}市场监督管理局", 60),
    _Organ("science", "{p}科学技术局", "{p}科学技术局", 18),
    _Organ("education", "{p}教育局", "{p}教育局", 35),
    _Organ("health", "{p}卫生健康委员会", "{p}卫生健康局", 40),
    _Organ("medical_security", "{p}医疗保障局", "{p}医疗保障局", 15),
    _Organ("civil_affairs", "{p}民政局", "{p}民政局", 25),
    _Organ("human_resources", "{p}人力资源和社会保障局", "{p}人力资源和社会保障局", 35),
    _Organ("veterans", "{p}退役军人事务局", "{p}退役军人事务局", 15),
    _Organ("culture", "{p}文化广播电视和旅游局", "{p}文化广播电视和旅游局", 28),
    _Organ("public_security", "{p}公安局", "{p}公安局", 25, 480),
    _Organ("court", "{p}中级人民法院", "{p}人民法院", 0, 130),
    _Organ("procuratorate", "{p}人民检察院", "{p}人民检察院", 0, 95),
    _Organ("justice", "{p}司法局", "{p}司法局", 10, 35),
    _Organ("emergency_management", "{p}应急管理局", "{p}应急管理局", 28),
    _Organ("emergency_management", "{p}人民防空办公室", None, 10),
    _Organ("natural_resources", "{p}自然资源和规划局", "{p}自然资源和规划局", 45),
    _Organ("ecology", "{p}生态环境局", "{p}生态环境局", 30),
    _Organ("housing", "{p}住房和城乡建设局", "{p}住房和城乡建设局", 35),
    _Organ("urban_management", "{p}城市管理行政执法局", "{p}综合行政执法局", 30),
    _Organ("transport", "{p}交通运输局", "{p}交通运输局", 30),
    _Organ("water", "{p}水利局", "{p}水利局", 22),
    _Organ("agriculture", "{p}农业农村局", "{p}农业农村局", 40),
    _Organ("forestry", "{p}林业局", "{p}林业局", 25),
    _Organ("rural_revitalization", "{p}乡村振兴局", "{p}乡村振兴局", 18),
    _Organ("statistics", "{p}统计普查办公室", None, 6),
    _Organ("general_office", "{p}人民政府研究室", None, 12),
    _Organ("party_affairs", "{p}委保密机要局", None, 8),
    _Organ("culture", "{p}体育局", None, 10),
)

MANAGED: tuple[_Managed, ...] = (
    _Managed("party_affairs", "{p}档案馆", "{p}档案馆", 15),
    _Managed("party_affairs", "{p}委党史研究室", "{p}委党史研究室", 8),
    _Managed("party_affairs", "{p}地方志编纂中心", None, 8),
    _Managed("party_affairs", "{p}委党员教育中心", None, 8, "administrative"),
    _Managed("general_office", "{p}机关事务服务中心", "{p}机关事务服务中心", 12, "administrative"),
    _Managed("development", "{p}重大项目推进中心", None, 10, "administrative"),
    _Managed("investment_promotion", "{p}投资促进服务中心", None, 10, "administrative"),
    _Managed("agriculture", "{p}供销合作社联合社", "{p}供销合作社联合社", 12),
    _Managed("agriculture", "{p}农业综合行政执法支队", "{p}农业综合行政执法大队", 25),
    _Managed("housing", "{p}住房公积金管理中心", None, 20),
    _Managed("urban_management", "{p}城市管理综合行政执法支队", None, 40),
    _Managed("market_regulation", "{p}市场监管综合行政执法支队", "{p}市场监管综合行政执法大队", 30),
    _Managed("transport", "{p}交通运输综合行政执法支队", "{p}交通运输综合行政执法大队", 45),
    _Managed("ecology", "{p}生态环境保护综合行政执法支队", "{p}生态环境保护综合行政执法大队", 20),
    _Managed("culture", "{p}文化市场综合行政执法支队", "{p}文化市场综合行政执法大队", 15),
    _Managed("human_resources", "{p}社会保险事务中心", "{p}社会保险事务中心", 30),
    _Managed("human_resources", "{p}就业创业促进中心", "{p}就业创业促进中心", 20),
    _Managed("medical_security", "{p}医疗保障事务中心", "{p}医疗保障事务中心", 18),
    _Managed("natural_resources", "{p}自然资源执法支队", None, 15),
    _Managed("water", "{p}水政监察支队", None, 10),
    _Managed("forestry", "{p}林业综合行政执法支队", "{p}林业综合行政执法大队", 15),
    _Managed("health", "{p}卫生健康执法支队", "{p}卫生健康执法大队", 20),
    _Managed("veterans", "{p}退役军人服务中心", "{p}退役军人服务中心", 10),
    _Managed("emergency_management", "{p}应急救援指挥中心", None, 12),
    _Managed("statistics", "{p}统计调查中心", None, 8),
)

# Institution names by system, in order of use; "name:N" marks a large institution (hospital,
# school, newspaper) whose approved quota is about N. Beyond the list names are numbered.
_CITY_INSTITUTIONS: Mapping[str, str] = MappingProxyType({
    "health": "中心医院:900 中医医院:600 第二人民医院:300 妇幼保健院:250 疾病预防控制中心:120 "
              "精神卫生中心:150 老年病医院:90 中心血站 急救指挥中心 卫生健康信息中心 "
              "卫生健康综合服务中心 医学科学研究所 健康教育所 职业病防治所 卫生健康发展研究中心 "
              "医学会办公室",
    "education": "第一中学:260 第二中学:220 第三中学:200 实验中学:180 实验小学:120 职业中学:150 "
                 "第四中学:160 第五中学:140 外国语学校:130 幼儿园:60 职业技术学院:400 特殊教育学校 "
                 "电化教育馆 教育科学研究所 招生考试服务中心 教师发展中心 青少年活动中心 "
                 "学生资助管理中心 教育装备中心 教育事务中心 体育运动学校 教育信息中心",
    "agriculture": "农业技术推广站 畜牧站 植保植检站 土壤肥料站 农产品质量安全检测中心 "
                   "农业机械化服务站 水产站 种子管理站 农村经济经营管理站 农业信息中心 "
                   "茶叶产业发展中心 蚕桑站 农业广播电视学校 动物疫病预防控制中心",
    "human_resources": "人事考试中心 劳动人事争议仲裁院 人力资源市场服务中心 技工学校 "
                       "职业技能鉴定中心 人才服务中心 社会保障卡服务中心 就业训练中心 "
                       "劳动保障信息中心",
    "civil_affairs": "社会福利院 救助管理站 殡仪馆 儿童福利院 婚姻登记中心 养老服务指导中心 "
                     "社会组织服务中心 区划地名服务中心",
    "culture": "图书馆 博物馆 文化馆 美术馆 艺术剧院 非物质文化遗产保护中心 文物保护中心 "
               "旅游服务中心 广播电视监测台 文化旅游发展中心 群众艺术馆 体育运动中心 全民健身中心 "
               "旅游景区管理中心 文化市场服务中心 红色文化研究中心 川剧艺术传承中心",
    "natural_resources": "不动产登记中心 规划编制研究中心 测绘地理信息中心 土地整理中心 "
                         "地质环境监测站 "
                         "土地储备中心 自然资源信息中心 城乡规划设计研究院 国土空间生态修复中心 "
                         "矿产资源服务中心 自然资源事务中心 土地交易中心",
    "housing": "建设工程质量安全监督站 房屋征收与补偿服务中心 住房保障中心 建筑业发展中心 "
               "城乡建设档案馆 物业管理服务中心 建设工程造价管理站 房地产交易中心 城市建设服务中心 "
               "墙体材料革新办公室 燃气安全服务中心 白蚁防治所",
    "transport": "公路养护中心 道路运输服务中心 港航服务中心 交通建设质量监督站 公路建设服务中心 "
                 "农村公路服务中心 交通运输信息中心 机场服务中心 物流发展中心 交通工程造价站",
    "water": "水文水资源勘测中心 水利工程建设服务中心 灌区管理处 水土保持站 河湖保护中心 "
             "水库管理处 "
             "农村供水服务中心 防汛抗旱服务中心 水利信息中心 水资源服务中心",
    "forestry": "林业科学研究所 森林病虫防治检疫站 国有林场 林木种苗站 林业技术推广站 "
                "自然保护区管理处 "
                "湿地保护中心 森林防火服务中心 林业调查规划队 林产品质量检测站 林业产业发展中心 "
                "天然林保护中心",
    "urban_management": "环境卫生管理处 园林绿化服务中心 市政设施维护中心 城市照明管理所 "
                        "数字城管指挥中心 停车管理服务中心 垃圾处理中心 城市供排水服务中心",
    "development": "价格认证中心 经济研究中心 重点项目服务中心 粮食和物资储备中心 能源发展中心 "
                   "节能监察中心 信用信息中心 粮油质量监测站 发展改革事务中心 区域合作服务中心",
    "commerce": "商务服务中心 口岸服务中心 电子商务发展中心 会展服务中心 商贸流通服务中心 "
                "外贸服务中心",
    "investment_promotion": "投资服务中心 招商项目研究中心 驻外招商联络处 产业合作促进中心 "
                            "投资信息中心",
    "economy_and_information": "中小企业服务中心 工业园区服务中心 经济运行监测中心 电力服务中心 "
                               "无线电监测站 工业发展研究中心 产业园区发展中心 数字经济发展中心",
    "market_regulation": "产品质量监督检验所 食品药品检验检测中心 计量测试所 特种设备监督检验所 "
                         "标准化研究所 消费者权益保护中心 市场监管信息中心 药品不良反应监测中心 "
                         "知识产权服务中心 纤维检验所",
    "science": "科技情报研究所 生产力促进中心 科技创新服务中心 农业科学研究院 科技馆 "
               "科技成果转化中心",
    "finance": "财政投资评审中心 国库支付中心 政府采购中心 非税收入征收中心 财政信息中心 "
               "金融服务中心 "
               "国有资产服务中心 会计服务中心",
    "audit": "审计服务中心 经济责任审计中心 审计信息中心",
    "statistics": "统计数据管理中心 社情民意调查中心 统计信息中心 经济普查中心",
    "party_affairs": "委党校:70 日报社:80 广播电视台:110 党员干部教育中心 委讲师团 新闻传媒中心 "
                     "网络舆情中心 人才发展中心 机构编制电子政务与研究中心 事业单位登记服务中心 "
                     "互联网信息中心 党建研究中心 保密技术服务中心 统战事务中心 宗教事务服务中心 "
                     "干部档案服务中心 老干部活动中心 老年大学",
    "general_office": "大数据中心 公共资源交易服务中心 政务服务中心 接待中心 决策咨询委员会办公室 "
                      "人大代表联络服务中心 政协委员服务中心 机关幼儿园 信访接待中心 机关服务中心 "
                      "电子政务中心 12345热线服务中心 驻外联络服务中心 政务信息中心 法规审查中心 "
                      "机关后勤服务中心",
    "mass_organizations": "工人文化宫 青少年宫 妇女儿童活动中心 残疾人康复中心 科普服务中心 "
                          "职工服务中心",
    "discipline": "廉政教育中心 纪检监察信息中心",
    "public_security": "公安信息中心 看守所 拘留所 警务保障中心",
    "court": "法官培训中心 审判信息中心",
    "procuratorate": "检察技术信息中心 检察服务中心",
    "justice": "公证处 法律援助中心 仲裁委员会办公室 强制隔离戒毒所 社区矫正中心 司法鉴定所",
    "emergency_management": "应急管理服务中心 安全生产监测中心 地震监测中心 森林消防服务中心 "
                            "应急物资储备中心 安全技术服务中心",
    "ecology": "生态环境监测站 环境科学研究所 固体废物管理中心 辐射环境监测站 环境信息中心 "
               "环境应急中心 生态保护中心 环境监察服务中心",
    "veterans": "军队离退休干部休养所 光荣院 烈士陵园管理处 退役军人就业创业中心",
    "medical_security": "医保信息中心 医疗保障服务中心 医保基金监测中心",
    "rural_revitalization": "乡村振兴服务中心 扶贫开发服务中心 东西部协作服务中心 乡村振兴研究中心 "
                            "驻村帮扶服务中心",
})
_COUNTY_INSTITUTIONS: Mapping[str, str] = MappingProxyType({
    "health": "人民医院:420 中医医院:240 妇幼保健院:90 疾病预防控制中心:55 第二人民医院:150 "
              "精神卫生中心:45 第三人民医院:100 急救中心 卫生健康信息中心 卫生健康综合服务中心 "
              "血液管理站 卫生监督所 结核病防治所 健康教育所",
    "education": "第一中学:200 第二中学:170 第三中学:150 职业中学:120 实验小学:110 实验中学:130 "
                 "第二小学:90 第三小学:80 第四中学:110 第五中学:100 幼儿园:45 第二幼儿园:35 "
                 "特殊教育学校 教育事务中心 教师进修学校 电化教育馆 招生考试中心 学生资助管理中心",
    "party_affairs": "委党校:30 融媒体中心:60 党员干部教育中心 人才发展中心 机构编制信息中心 "
                     "事业单位登记服务中心 网络舆情中心 老干部活动中心",
})
# Bazhong's city-level institutions per system: 292 in all (seed 二(二)3).
_BAZHONG_CITY_INSTITUTIONS: Mapping[str, int] = MappingProxyType({
    "health": 16, "education": 22, "agriculture": 14, "human_resources": 9, "civil_affairs": 8,
    "culture": 17, "natural_resources": 12, "housing": 12, "transport": 10, "water": 10,
    "forestry": 12, "urban_management": 8, "development": 10, "commerce": 6,
    "investment_promotion": 5, "economy_and_information": 8, "market_regulation": 10,
    "science": 6, "finance": 8, "audit": 3, "statistics": 4, "party_affairs": 18,
    "general_office": 16, "mass_organizations": 6, "discipline": 2, "public_security": 4,
    "court": 2, "procuratorate": 2, "justice": 6, "emergency_management": 6, "ecology": 8,
    "veterans": 4, "medical_security": 3, "rural_revitalization": 5,
})
# County-level institutions lean to schools and hospitals.
_COUNTY_WEIGHTS: Mapping[str, float] = MappingProxyType({
    system: count * {"education": 2.5, "health": 1.2}.get(system, 1.0)
    for system, count in _BAZHONG_CITY_INSTITUTIONS.items()
})
# Township units: (system, name suffix, kind, typical approved, spread). Schools: 1 to 3.
_TOWNSHIP_FIXED: tuple[tuple[str, str, int], ...] = (
    ("general_office", "便民服务中心", 8),
    ("agriculture", "农业综合服务中心", 8),
    ("civil_affairs", "社会事务服务中心", 6),
    ("health", "卫生院", 32),
)
_TOWNSHIP_SCHOOLS: tuple[tuple[str, int], ...] = (
    ("中心小学", 48), ("初级中学", 40), ("中心幼儿园", 12),
)
_TOWNSHIP_ORGAN_SIZE = 30
_TOWNSHIP_CHARS_A = "白青石金龙凤云花柏松竹梅杨柳高大长新兴平安永和清玉双三观鹿马"
_TOWNSHIP_CHARS_B = "山河溪坝坪桥口庙场湾岭垭沟江坡滩台寨梁园林池关铺"
_PLACE_CHARS_A = "东西南北江川岚溪峰岭清明宁安泰康华丰"
_PLACE_CHARS_B = "阳平宁源山州川城陵水原昌德兴台"
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯董程曹袁邓许傅沈曾彭吕苟蒲岳向"
_GIVEN_M = "伟强军勇明华建国平志斌涛超刚俊杰文武林峰波鹏海江"
_GIVEN_F = "芳娟敏静丽艳霞红玲燕萍琴秀英慧兰梅洁蓉莉"
_GIVEN_ANY = "德新春立振永宏晓世光建红学庆"

# Off-quota category mix by system (the seed: medical aides, teaching aides, auxiliary police,
# inspectors, service windows, logistics).
_AUX_MIX: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "health": {"medical": 0.75, "logistics": 0.12, "service_window": 0.08, "other": 0.05},
    "public_security": {"auxiliary_police": 0.85, "logistics": 0.1, "other": 0.05},
    "urban_management": {"inspector": 0.8, "logistics": 0.15, "other": 0.05},
    "education": {"teaching_aide": 0.7, "logistics": 0.25, "other": 0.05},
    "natural_resources": {"inspector": 0.55, "service_window": 0.25, "other": 0.2},
    "housing": {"inspector": 0.5, "service_window": 0.3, "logistics": 0.1, "other": 0.1},
    "transport": {"inspector": 0.6, "service_window": 0.25, "logistics": 0.15},
    "forestry": {"inspector": 0.6, "logistics": 0.2, "other": 0.2},
    "market_regulation": {"inspector": 0.5, "service_window": 0.3, "logistics": 0.2},
    "court": {"other": 0.6, "service_window": 0.2, "logistics": 0.2},
    "procuratorate": {"other": 0.6, "service_window": 0.2, "logistics": 0.2},
    "justice": {"other": 0.5, "service_window": 0.3, "logistics": 0.2},
    "human_resources": {"service_window": 0.6, "logistics": 0.2, "other": 0.2},
    "medical_security": {"service_window": 0.6, "logistics": 0.2, "other": 0.2},
    "civil_affairs": {"service_window": 0.4, "logistics": 0.4, "other": 0.2},
})
_AUX_MIX_DEFAULT: Mapping[str, float] = MappingProxyType(
    {"service_window": 0.35, "logistics": 0.4, "other": 0.25})
_AUX_CATEGORY_ORDER: tuple[str, ...] = (
    "medical", "teaching_aide", "auxiliary_police", "inspector", "service_window", "logistics",
    "other",
)
# Skills a person brings from the system of the home unit.
_SYSTEM_SKILL: Mapping[str, str] = MappingProxyType({
    "development": "project_management", "commerce": "investment",
    "investment_promotion": "investment", "economy_and_information": "investment",
    "finance": "finance", "audit": "finance", "statistics": "research",
    "public_security": "law", "court": "law", "procuratorate": "law", "justice": "law",
    "discipline": "law", "agriculture": "agriculture", "forestry": "agriculture",
    "rural_revitalization": "agriculture", "health": "health", "medical_security": "health",
    "housing": "engineering", "transport": "engineering", "water": "engineering",
    "natural_resources": "engineering", "urban_management": "engineering",
    "party_affairs": "writing", "general_office": "writing", "mass_organizations": "outreach",
    "culture": "outreach", "education": "outreach", "science": "research",
})
_KEY_SYSTEMS: tuple[str, ...] = (
    "development", "investment_promotion", "commerce", "economy_and_information", "transport",
    "housing", "natural_resources", "culture", "agriculture", "rural_revitalization", "water",
)
# system -> emergency task (事重加编、事去减编)
_EMERGENCY_TASKS: Mapping[str, str] = MappingProxyType({
    "forestry": "森林防灭火", "emergency_management": "森林防灭火",
    "natural_resources": "地质灾害防治", "health": "疫情防控", "medical_security": "疫情防控",
    "public_security": "疫情防控卡点值守", "water": "防汛抗旱", "agriculture": "动物疫病防控",
})
_KEY_FOCUS: tuple[str, ...] = (
    "重大项目招引", "产业园区建设", "区域交通枢纽建设", "乡村振兴示范", "生态康养旅游",
    "红色文化传承", "城市新区开发", "营商环境优化",
)
_OPERATIONAL_REASONS: tuple[str, ...] = (
    "职能职责增加,现有编制无法保障正常运转",
    "承接上级下放审批事项,人员不足",
    "新设内设机构,需补充业务力量",
    "退休减员后业务骨干断档",
    "服务对象增加,窗口业务量上升",
    "新增监管执法任务",
    "机构改革职责划入,编随事走未到位",
)


# --- profiles -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountySpec:
    """A county or district of a city: its code, name and how many townships and institutions."""

    code: str
    name: str
    townships: int
    institutions: int


@dataclass(frozen=True)
class CitySpec:
    """A city: code, name, its counties, city-level institution count; calibrated = the seed's."""

    code: str
    name: str
    counties: tuple[CountySpec, ...]
    city_institutions: int
    calibrated: bool = False


@dataclass(frozen=True)
class TaskGroupSpec:
    """A frontline task group of the city (seed 五(三)二)."""

    group_id: str
    name: str
    min_size: int
    max_size: int
    skills: tuple[str, ...]
    max_age: int


@dataclass(frozen=True)
class SeedFigures:
    """The published figures the calibrated city level reproduces exactly (seed 二(二), 三)."""

    institutions: int
    small_le7: int
    small_le5: int
    small_le5_by_system: Mapping[str, int]
    small_6_7_by_system: Mapping[str, int]
    aux_departments: int
    aux_total_range: tuple[int, int]
    aux_shares: Mapping[str, float]  # percent of off-quota headcount by department system
    city_managed_age_bands: Mapping[tuple[int, int], int]
    city_managed_gender: Mapping[str, int]
    city_managed_health: Mapping[str, int]
    city_managed_work_status: Mapping[str, int]
    section_quota_types: Mapping[str, int]
    section_managed_institution: int  # of the institution-quota people, in 参公 units
    section_reasons: Mapping[str, int]
    demands: int
    top_heavy_units: tuple[int, int]
    # city-level administrative staff (市级行政人员) by age in the data's year (seed 三(三)):
    # the shares of 50 or older and of under 40
    city_admin_50_plus: float
    city_admin_under_40: float


@dataclass(frozen=True)
class Profile:
    """A generation profile: the calibrated first city, its figures, and province size."""

    name: str
    city: CitySpec
    figures: SeedFigures
    task_groups: tuple[TaskGroupSpec, ...]
    province_cities: int
    key_reason: str  # the city's strategic work, in demand reasons of the key tier
    year: int = 2021  # the data's year: ages, births and starts of the staff register


_BAZHONG = CitySpec(
    code="bazhong", name="巴中市", city_institutions=292, calibrated=True,
    counties=(
        CountySpec("bazhou", "巴州区", townships=26, institutions=230),
        CountySpec("enyang", "恩阳区", townships=22, institutions=185),
        CountySpec("tongjiang", "通江县", townships=40, institutions=255),
        CountySpec("nanjiang", "南江县", townships=38, institutions=245),
        CountySpec("pingchang", "平昌县", townships=36, institutions=250),
    ),
)
_BAZHONG_FIGURES = SeedFigures(
    institutions=292,
    small_le7=149,
    small_le5=107,
    small_le5_by_system=MappingProxyType(
        {"agriculture": 9, "human_resources": 5, "civil_affairs": 5}),
    small_6_7_by_system=MappingProxyType(
        {"agriculture": 2, "human_resources": 1, "civil_affairs": 1}),
    aux_departments=64,
    aux_total_range=(3980, 3999),
    aux_shares=MappingProxyType({
        "health": 29.9, "public_security": 12.63, "urban_management": 10.75, "education": 7.5,
        "natural_resources": 7.35, "housing": 3.9, "transport": 1.73,
    }),
    city_managed_age_bands=MappingProxyType(
        {(40, 49): 6, (50, 54): 14, (55, 57): 57, (58, 60): 38}),
    city_managed_gender=MappingProxyType({"M": 96, "F": 19}),
    city_managed_health=MappingProxyType({"healthy": 110, "chronic": 2, "serious": 3}),
    city_managed_work_status=MappingProxyType({"in_charge": 53, "assisting": 46, "idle": 16}),
    section_quota_types=MappingProxyType(
        {"administrative": 8, "political_legal": 27, "institution": 37}),
    section_managed_institution=2,
    section_reasons=MappingProxyType({
        "seconded": 44, "sick_leave": 22, "trial_elsewhere": 2, "stranded_abroad": 1,
        "absent_without_reason": 2, "missing": 1,
    }),
    demands=236,
    top_heavy_units=(3, 8),
    city_admin_50_plus=0.32,
    city_admin_under_40=0.26,
)
_BAZHONG_GROUPS = (
    TaskGroupSpec("G1", "招商引资工作组", 15, 55,
                  ("investment", "finance", "project_management"), 57),
    TaskGroupSpec("G2", "调研决策参谋工作组", 10, 45, ("research", "writing", "law"), 60),
    TaskGroupSpec("G3", "理论政策宣讲工作组", 10, 40, ("outreach", "writing"), 60),
    TaskGroupSpec("G4", "重大项目督办工作组", 15, 60, ("project_management", "engineering",
                                                     "finance"), 60),
)

PROFILES: dict[str, Profile] = {
    "bazhong-2021": Profile(
        name="bazhong-2021", city=_BAZHONG, figures=_BAZHONG_FIGURES,
        task_groups=_BAZHONG_GROUPS, province_cities=20, key_reason="服务保障“三市两地一枢纽”建设",
    ),
}
SCALES: tuple[str, ...] = ("city", "province")


# --- public API -----------------------------------------------------------------------------

def generate(profile: str = "bazhong-2021", scale: str | int = "city", seed: int = 2021,
             staff: bool = True) -> dict[str, pd.DataFrame]:
    """The input tables of a synthetic city ("city"), province ("province") or ~N units.

    `staff=False` leaves out the staff register (one row per person: ~1.4 million at province
    scale, which dominate reading the data); the other tables are the same either way.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: known profiles are "
                         f"{', '.join(sorted(PROFILES))}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    prof = PROFILES[profile]
    cities = city_specs(prof, scale, int(seed))
    parts = [_generate_city(prof, spec, index, int(seed), staff)
             for index, spec in enumerate(cities)]
    tables = {name: pd.concat([part[name] for part in parts], ignore_index=True)
              for name in TABLE_NAMES if staff or name != "staff"}
    tables["names"] = _names_table(cities)
    return tables


def _names_table(cities: list[CitySpec]) -> pd.DataFrame:
    """names.csv: the Chinese names of the system, sector and region codes of the units."""
    rows = [("system", code, label) for code, (_, label) in SYSTEMS.items()]
    rows += [("sector", code, SECTOR_NAMES[code]) for code in SECTORS]
    for city in cities:
        rows.append(("region", city.code, city.name))
        rows += [("region", county.code, county.name) for county in city.counties]
    return pd.DataFrame(rows, columns=["kind", "code", "name"])


def city_specs(prof: Profile, scale: str | int, seed: int) -> list[CitySpec]:
    """The cities to generate at `scale`: the profile's city first, then synthetic ones."""
    layout = np.random.default_rng((seed, 0xC171E5))
    if isinstance(scale, str):
        if scale == "city":
            return [prof.city]
        if scale == "province":
            base = expected_units(prof.city)
            targets = base * layout.uniform(0.75, 1.25, size=prof.province_cities - 1)
            return [prof.city, *_synthetic_cities(targets, layout)]
        raise ValueError(f"unknown scale {scale!r}: expected 'city', 'province' or a number of "
                         f"units ({MIN_UNITS:,} to {MAX_UNITS:,})")
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)):
        raise ValueError(f"scale must be 'city', 'province' or an integer, not {scale!r}")
    if not MIN_UNITS <= scale <= MAX_UNITS:
        raise ValueError(f"scale {scale:,} is out of range: a number of units from "
                         f"{MIN_UNITS:,} to {MAX_UNITS:,} (or 'city' / 'province')")
    base = expected_units(prof.city)
    n_cities = max(1, round(scale / base))
    per_city = scale / n_cities
    first = _scaled_city(prof.city, per_city)
    rest = per_city * layout.uniform(0.75, 1.25, size=n_cities - 1)
    if n_cities > 1:  # keep the total on target
        rest *= (scale - expected_units(first)) / rest.sum()
    return [first, *_synthetic_cities(rest, layout)]


def expected_units(spec: CitySpec) -> float:
    """The expected number of units of a city (townships hold 7 units on average)."""
    city_level = len(ORGANS) + len(MANAGED) + spec.city_institutions
    fixed = _county_fixed_units()
    return city_level + sum(fixed + c.institutions + 7 * c.townships for c in spec.counties)


def _county_fixed_units() -> int:
    return (sum(o.county is not None for o in ORGANS)
            + sum(m.county is not None for m in MANAGED))


def _scaled_city(spec: CitySpec, target: float) -> CitySpec:
    """The city with its counties' townships and institutions scaled to about `target` units."""
    city_level = len(ORGANS) + len(MANAGED) + spec.city_institutions
    fixed = _county_fixed_units() * len(spec.counties)
    variable = sum(c.institutions + 7 * c.townships for c in spec.counties)
    factor = (target - city_level - fixed) / variable
    if factor <= 0.05:
        raise ValueError(f"scale {round(target):,} is too small for the city {spec.code}")
    counties = tuple(
        CountySpec(c.code, c.name, max(1, round(c.townships * factor)),
                   max(5, round(c.institutions * factor)))
        for c in spec.counties
    )
    return CitySpec(spec.code, spec.name, counties, spec.city_institutions, spec.calibrated)


def _synthetic_cities(targets: np.ndarray, layout: np.random.Generator) -> list[CitySpec]:
    """Synthetic cities `city02`, `city03`, ... of about the given numbers of units."""
    names = _place_names(len(targets), layout, exclude=("巴中",))
    cities = []
    fixed = _county_fixed_units()
    for k, target in enumerate(targets):
        code = f"city{k + 2:02d}"
        n_counties = int(layout.integers(3, 10))
        city_institutions = int(round(292 * layout.uniform(0.85, 1.15)))
        city_level = len(ORGANS) + len(MANAGED) + city_institutions
        per_county = max(fixed + 20, (target - city_level) / n_counties) - fixed
        shares = layout.uniform(0.7, 1.3, size=n_counties)
        shares /= shares.mean()
        county_names = _place_names(n_counties, layout)
        counties = []
        for j in range(n_counties):
            variable = per_county * shares[j]
            institutions = max(5, round(0.4 * variable))
            townships = max(1, round(0.6 * variable / 7))
            suffix = "区" if j < 2 else "县"
            counties.append(CountySpec(f"{code}-c{j + 1:02d}", county_names[j] + suffix,
                                       townships, institutions))
        cities.append(CitySpec(code, names[k] + "市", tuple(counties), city_institutions))
    return cities


def _place_names(count: int, rng: np.random.Generator, exclude: tuple[str, ...] = ()) -> list[str]:
    """`count` distinct two-character synthetic place names."""
    pool = [a + b for a in _PLACE_CHARS_A for b in _PLACE_CHARS_B if a + b not in exclude]
    if count > len(pool):
        picks = rng.choice(len(pool), size=count, replace=True)
        return [f"{pool[p]}{i + 1}" for i, p in enumerate(picks)]
    return [pool[p] for p in rng.choice(len(pool), size=count, replace=False)]


# --- one city -------------------------------------------------------------------------------

@dataclass
class _Units:
    """A city's units as parallel arrays, before ids are assigned."""

    name: np.ndarray
    level: np.ndarray
    region: np.ndarray
    kind: np.ndarray
    system: np.ndarray
    parent: np.ndarray  # index into these arrays, -1 for none
    approved: np.ndarray  # (n, 3) approved per quota type of QUOTA_TYPE_ORDER; 0 = no row

    def __len__(self) -> int:
        return len(self.name)


class _Builder:
    """Collects blocks of units in order; parents are indices into the finished arrays."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, np.ndarray]] = []
        self.size = 0

    def add(self, name, level, region, kind, system, parent, approved) -> np.ndarray:
        n = len(name)
        index = np.arange(self.size, self.size + n)
        self.blocks.append({
            "name": np.asarray(name, dtype=object),
            "level": np.full(n, level, dtype=object) if isinstance(level, str) else level,
            "region": np.full(n, region, dtype=object),
            "kind": np.full(n, kind, dtype=object) if isinstance(kind, str) else kind,
            "system": np.asarray(system, dtype=object),
            "parent": np.asarray(parent, dtype=np.int64),
            "approved": np.asarray(approved, dtype=np.int64).reshape(n, 3),
        })
        self.size += n
        return index

    def build(self) -> _Units:
        return _Units(**{key: np.concatenate([b[key] for b in self.blocks])
                         for key in self.blocks[0]})


def _generate_city(prof: Profile, spec: CitySpec, index: int, seed: int,
                   with_staff: bool = True) -> dict[str, pd.DataFrame]:
    """All tables of one city; each part draws from its own stream so parts stay independent."""
    def stream(part: int) -> np.random.Generator:
        return np.random.default_rng((seed, index, part))

    units = _build_units(spec, stream(1))
    ids = _unit_ids(units)
    staff = _staff(units, stream(2))
    attrs = _unit_attributes(units, spec, stream(3))
    aux = _aux_positions(units, ids, spec, prof, stream(4))
    groups = _task_groups(prof, spec, index)
    people = _people(units, ids, staff, spec, prof, groups, stream(5))
    demands = _demands(units, ids, attrs, spec, prof, stream(6))
    pool = _pool(units, spec, stream(7))
    tables = {
        "units": _units_table(units, ids, attrs),
        "quotas": _quotas_table(units, ids, staff),
        "pool": pool,
        "demands": demands,
        "people": people,
        "task_groups": _task_groups_table(groups, spec.code),
        "aux_positions": aux,
    }
    if with_staff:
        tables["staff"] = _staff_register(units, ids, staff, people, prof, spec, stream(8))
    return tables


def _approved_row(quota_type: str, size: np.ndarray | int) -> np.ndarray:
    size = np.atleast_1d(np.asarray(size, dtype=np.int64))
    out = np.zeros((len(size), 3), dtype=np.int64)
    out[:, QUOTA_TYPE_ORDER.index(quota_type)] = size
    return out


def _jitter(rng: np.random.Generator, base: np.ndarray, sigma: float, low: int = 1) -> np.ndarray:
    """Base sizes times a log-normal factor, rounded, at least `low`."""
    base = np.asarray(base, dtype=float)
    return np.maximum(low, np.rint(base * rng.lognormal(0.0, sigma, size=base.shape))).astype(
        np.int64) * (base > 0)


def _build_units(spec: CitySpec, rng: np.random.Generator) -> _Units:
    builder = _Builder()
    _add_level(builder, rng, spec.name, spec.code, "city", spec.city_institutions,
               spec.calibrated)
    for county in spec.counties:
        organs = _add_level(builder, rng, county.name, county.code, "county",
                            county.institutions, False)
        _add_townships(builder, rng, county, organs)
    return builder.build()


def _add_level(builder: _Builder, rng: np.random.Generator, place: str, region: str,
               level: str, n_institutions: int, calibrated: bool) -> dict[str, np.ndarray]:
    """Organs, civil-service-managed units and institutions of one city or county level."""
    factor = 1.0 if level == "city" else 0.6
    organs = [o for o in ORGANS if level == "city" or o.county is not None]
    names = [(o.city if level == "city" else o.county).format(p=place) for o in organs]
    approved = np.zeros((len(organs), 3), dtype=np.int64)
    approved[:, 0] = _jitter(rng, [o.administrative * factor for o in organs], 0.25, low=3)
    approved[:, 1] = _jitter(rng, [o.political_legal * factor for o in organs], 0.2, low=5)
    systems = np.array([o.system for o in organs], dtype=object)
    organ_index = builder.add(names, level, region, "organ", systems, np.full(len(organs), -1),
                              approved)
    by_system = {s: organ_index[systems == s] for s in dict.fromkeys(systems)}

    def parent_of(system_array: np.ndarray) -> np.ndarray:
        parents = np.empty(len(system_array), dtype=np.int64)
        for s in dict.fromkeys(system_array):
            mask = system_array == s
            candidates = by_system[s]
            # the first organ of a system is its main department and takes most units
            weights = np.where(np.arange(len(candidates)) == 0, 3.0, 1.0)
            parents[mask] = rng.choice(candidates, size=int(mask.sum()), p=weights / weights.sum())
        return parents

    managed = [m for m in MANAGED if level == "city" or m.county is not None]
    m_systems = np.array([m.system for m in managed], dtype=object)
    m_sizes = _jitter(rng, [m.size * factor for m in managed], 0.3, low=3)
    m_approved = np.zeros((len(managed), 3), dtype=np.int64)
    for k, m in enumerate(managed):
        m_approved[k, QUOTA_TYPE_ORDER.index(m.quota_type)] = m_sizes[k]
    builder.add([(m.city if level == "city" else m.county).format(p=place) for m in managed],
                level, region, "civil_service_managed", m_systems, parent_of(m_systems),
                m_approved)

    systems_i, names_i, sizes_i = _institutions(rng, place, level, n_institutions, calibrated)
    builder.add(names_i, level, region, "institution", systems_i, parent_of(systems_i),
                _approved_row("institution", sizes_i))
    return by_system


def _institution_names(system: str, level: str) -> list[tuple[str, int]]:
    """(name suffix, large size or 0) of the institutions of a system, in order of use."""
    table = _COUNTY_INSTITUTIONS if level != "city" and system in _COUNTY_INSTITUTIONS \
        else _CITY_INSTITUTIONS
    out = []
    for word in table[system].split():
        name, _, size = word.partition(":")
        out.append((name, int(size) if size else 0))
    return out


def _institutions(rng: np.random.Generator, place: str, level: str, count: int,
                  calibrated: bool) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Systems, names and approved quota of the institutions of one city or county level."""
    if calibrated:
        per_system = dict(_BAZHONG_CITY_INSTITUTIONS)
        if sum(per_system.values()) != count:
            raise AssertionError("calibrated institution counts do not add up")
    else:
        weights = _COUNTY_WEIGHTS if level != "city" else _BAZHONG_CITY_INSTITUTIONS
        keys = list(weights)
        p = np.array([weights[k] for k in keys], dtype=float)
        counts = rng.multinomial(count, p / p.sum())
        per_system = {k: int(c) for k, c in zip(keys, counts, strict=True) if c > 0}
    systems, names, large = [], [], []
    for system, n in per_system.items():
        listed = _institution_names(system, level)
        label = SYSTEMS[system][1]
        for k in range(n):
            if k < len(listed):
                suffix, size = listed[k]
            else:
                suffix, size = _overflow_name(system, label, k - len(listed))
            systems.append(system)
            names.append(place + suffix)
            large.append(size)
    systems_a = np.array(systems, dtype=object)
    large_a = np.array(large, dtype=np.int64)
    if calibrated:
        size_class = _calibrated_classes(rng, systems_a, large_a)
    else:
        size_class = rng.choice(3, size=len(systems_a), p=[0.34, 0.14, 0.52])
        size_class = np.where(large_a > 0, 3, size_class)
    level_factor = 1.0 if level == "city" else 0.85
    sizes = _sizes_of_class(rng, size_class, large_a * level_factor)
    return systems_a, names, sizes


def _overflow_name(system: str, label: str, extra: int) -> tuple[str, int]:
    """Name and large size (0: ordinary) of an institution beyond a system's name list."""
    if system == "education":  # more primary schools (the lists name up to 第三小学)
        return f"第{_chinese_number(extra + 4)}小学", 60
    if system == "health":
        return f"第{_chinese_number(extra + 1)}社区卫生服务中心", 25
    return f"{label}第{_chinese_number(extra + 2)}服务中心", 0


def _chinese_number(value: int) -> str:
    """1..99 in Chinese numerals (十二, 二十, 三十五)."""
    digits = "零一二三四五六七八九"
    if not 0 < value < 100:
        raise ValueError(f"{value} is out of range")
    tens, ones = divmod(value, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")


def _calibrated_classes(rng: np.random.Generator, systems: np.ndarray,
                        large: np.ndarray) -> np.ndarray:
    """Size classes (0: ≤5, 1: 6-7, 2: ≥8, 3: large) meeting the seed's small-institution counts.

    Seed 三(三): of 292 city institutions 149 have ≤7 quotas and 107 ≤5; the agriculture bureau
    has 9 with ≤5, human resources and civil affairs 5 each. The remaining small ones are spread
    over the other systems, at most 4 of them ≤5 in any one, so that the seed's three
    named departments lead the list.
    """
    fig = _BAZHONG_FIGURES
    size_class = np.full(len(systems), 2, dtype=np.int64)
    size_class[large > 0] = 3
    fixed = set(fig.small_le5_by_system)
    for system in fig.small_le5_by_system:
        slots = np.flatnonzero((systems == system) & (large == 0))
        k5, k67 = fig.small_le5_by_system[system], fig.small_6_7_by_system[system]
        chosen = rng.permutation(slots)
        size_class[chosen[:k5]] = 0
        size_class[chosen[k5:k5 + k67]] = 1
    open_slots = np.flatnonzero(~np.isin(systems, list(fixed)) & (large == 0))
    n5 = fig.small_le5 - sum(fig.small_le5_by_system.values())
    n67 = fig.small_le7 - fig.small_le5 - sum(fig.small_6_7_by_system.values())
    order = rng.permutation(open_slots)
    rank = pd.Series(systems[order]).groupby(systems[order]).cumcount().to_numpy()
    le5 = order[rank < 4][:n5]
    if len(le5) != n5:
        raise AssertionError("not enough institutions to place the small ones")
    size_class[le5] = 0
    rest = order[~np.isin(order, le5)]
    size_class[rest[:n67]] = 1
    return size_class


def _sizes_of_class(rng: np.random.Generator, size_class: np.ndarray,
                    large: np.ndarray) -> np.ndarray:
    n = len(size_class)
    small = rng.choice(np.arange(1, 6), size=n, p=[0.06, 0.14, 0.25, 0.25, 0.30])
    mid = rng.integers(6, 8, size=n)
    big = 8 + np.minimum(np.floor(rng.lognormal(np.log(9.0), 0.8, size=n)), 150).astype(np.int64)
    huge = np.maximum(20, np.rint(large * rng.lognormal(0.0, 0.2, size=n))).astype(np.int64)
    return np.choose(size_class, [small, mid, big, huge])


def _add_townships(builder: _Builder, rng: np.random.Generator, county: CountySpec,
                   county_organs: dict[str, np.ndarray]) -> None:
    """Each township: its government (an organ), service centres, a health centre, schools."""
    n = county.townships
    combos = [a + b for a in _TOWNSHIP_CHARS_A for b in _TOWNSHIP_CHARS_B]
    picks = rng.choice(len(combos), size=min(n, len(combos)), replace=False)
    towns = [combos[p] + ("镇" if p % 4 else "乡") for p in picks]
    towns += [f"第{k + 1}镇" for k in range(len(towns), n)]
    prefix = [county.name + t for t in towns]
    organ_approved = _approved_row("administrative", _jitter(
        rng, np.full(n, _TOWNSHIP_ORGAN_SIZE), 0.3, low=8))
    organs = builder.add([p + "人民政府" for p in prefix], "township", county.code, "organ",
                         np.full(n, "general_office", dtype=object), np.full(n, -1),
                         organ_approved)
    n_schools = rng.integers(1, len(_TOWNSHIP_SCHOOLS) + 1, size=n)
    town_of, systems, names, base = [], [], [], []
    for t in range(n):
        for system, suffix, size in _TOWNSHIP_FIXED:
            town_of.append(t), systems.append(system), names.append(prefix[t] + suffix)
            base.append(size)
        for suffix, size in _TOWNSHIP_SCHOOLS[:n_schools[t]]:
            town_of.append(t), systems.append("education"), names.append(prefix[t] + suffix)
            base.append(size)
    systems_a = np.array(systems, dtype=object)
    town_a = np.array(town_of, dtype=np.int64)
    # A township's service centre belongs to the township; the rest to the county department.
    parent = np.where(systems_a == "general_office", organs[town_a], -1)
    for system in dict.fromkeys(systems_a[parent < 0]):
        mask = (systems_a == system) & (parent < 0)
        parent[mask] = county_organs[system][0]
    sizes = _jitter(rng, np.array(base), 0.35, low=3)
    builder.add(names, "township", county.code, "institution", systems_a, parent,
                _approved_row("institution", sizes))


def _unit_ids(units: _Units) -> np.ndarray:
    """`<region>-NNNN`, numbered in order within each region (regions are contiguous)."""
    region = units.region
    starts = np.r_[0, np.flatnonzero(region[1:] != region[:-1]) + 1]
    serial = np.arange(len(region)) - np.repeat(starts, np.diff(np.r_[starts, len(region)])) + 1
    if serial.max() > 9999:
        raise ValueError("a region has more than 9,999 units")
    return np.array([f"{r}-{s:04d}" for r, s in zip(region, serial, strict=True)], dtype=object)


def _is_grassroots_school_or_clinic(units: _Units) -> np.ndarray:
    """County and township institutions of education and health (seed 三(三): most vacancies)."""
    return ((units.kind == "institution") & (units.level != "city")
            & np.isin(units.system, ["education", "health"]))


def _staff(units: _Units, rng: np.random.Generator) -> np.ndarray:
    """Staff per unit and quota type: a few units over quota, some full, most with vacancies.

    Grassroots schools and health centres hold most of the institution vacancies; other
    institutions stay under the seed's 8% vacancy rate.
    """
    approved = units.approved
    grassroots = _is_grassroots_school_or_clinic(units)[:, None]
    n = approved.shape
    status = rng.random(n)
    over_p = np.where(grassroots, 0.02, 0.05)
    # A vacancy is at least one post, a large share of a small unit: small units are more
    # often full, which keeps the vacancy rate of ordinary institutions under 8%.
    vacant_p = np.where(grassroots, 0.9, 0.85 * np.minimum(1.0, approved / 10.0))
    rate = np.where(grassroots, 0.16, 0.03)
    vacancy = 1 + rng.binomial(np.maximum(approved - 1, 0), rate)
    excess = 1 + rng.binomial(np.maximum(approved // 8, 1), 0.5)
    staff = np.where(status < over_p, approved + excess,
                     np.where(status < over_p + vacant_p * (1 - over_p), approved - vacancy,
                              approved))
    return np.where(approved > 0, np.maximum(staff, 0), 0).astype(np.int64)


def _unit_attributes(units: _Units, spec: CitySpec,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """function_status, performance_score, central_tasks and leader_posts of every unit."""
    n = len(units)
    kind = units.kind
    u = rng.random(n)
    lapsed_p = np.select([kind == "institution", kind == "civil_service_managed"], [0.04, 0.02],
                         0.0)
    weakened_p = np.select([kind == "institution", kind == "civil_service_managed"], [0.10, 0.08],
                           0.04)
    status = np.where(u < lapsed_p, "lapsed", np.where(u < lapsed_p + weakened_p, "weakened",
                                                       "active")).astype(object)
    score = np.round(np.clip(rng.normal(84.0, 7.0, size=n), 60.0, 100.0), 1)
    key = np.isin(units.system, _KEY_SYSTEMS)
    central = np.where(kind == "organ", rng.binomial(5, np.where(key, 0.55, 0.3)),
                       rng.binomial(5, np.where(key, 0.2, 0.08)))
    central = np.where(status == "lapsed", 0, central)
    total = units.approved.sum(axis=1)
    share = np.where(kind == "institution", rng.uniform(0.05, 0.2, size=n),
                     rng.uniform(0.12, 0.28, size=n))
    cap = np.where(kind == "institution", 8, 15)  # large hospitals keep a handful of leaders
    leaders = np.minimum(np.maximum(1, np.rint(total * share)).astype(np.int64), cap)
    leaders = np.minimum(leaders, total // 2)  # at most half: "官多兵少" only where chosen below
    # A few small units where leader posts exceed half the quota (seed 三(三): "官多兵少").
    heavy = np.zeros(n, dtype=bool)
    for region in dict.fromkeys(units.region):
        for level in ("city", "county"):
            candidates = np.flatnonzero((units.region == region) & (units.level == level)
                                        & (total >= 4) & (total <= 15))
            if len(candidates) == 0:
                continue
            if level == "city":
                low, high = _BAZHONG_FIGURES.top_heavy_units if spec.calibrated else (2, 6)
            else:
                low, high = 0, 3
            k = min(len(candidates), int(rng.integers(low, high + 1)))
            heavy[rng.choice(candidates, size=k, replace=False)] = True
    extra = rng.integers(1, np.maximum(total // 4, 1) + 1)
    leaders = np.where(heavy, np.minimum(total, total // 2 + extra), leaders)
    return {"function_status": status, "performance_score": score, "central_tasks": central,
            "leader_posts": leaders}


# --- off-quota positions --------------------------------------------------------------------

def _department_of(units: _Units) -> np.ndarray:
    """The department (organ) of each unit: itself for organs, its parent otherwise."""
    return np.where(units.kind == "organ", np.arange(len(units)), units.parent)


def _aux_positions(units: _Units, ids: np.ndarray, spec: CitySpec, prof: Profile,
                   rng: np.random.Generator) -> pd.DataFrame:
    rows_unit: list[np.ndarray] = []
    rows_cat: list[np.ndarray] = []
    rows_head: list[np.ndarray] = []
    city_level = units.level == "city"
    if spec.calibrated:
        unit_idx, cats, heads = _aux_calibrated(units, prof.figures, rng)
        rows_unit.append(unit_idx), rows_cat.append(cats), rows_head.append(heads)
        uncalibrated = ~city_level
    else:
        uncalibrated = np.ones(len(units), dtype=bool)
    unit_idx, cats, heads = _aux_uncalibrated(units, uncalibrated, rng)
    rows_unit.append(unit_idx), rows_cat.append(cats), rows_head.append(heads)
    unit_idx = np.concatenate(rows_unit)
    cats = np.concatenate(rows_cat)
    heads = np.concatenate(rows_head)
    keep = heads > 0
    unit_idx, cats, heads = unit_idx[keep], cats[keep], heads[keep]
    order = np.lexsort((cats, unit_idx))
    unit_idx, cats, heads = unit_idx[order], cats[order], heads[order]
    category = np.array(_AUX_CATEGORY_ORDER, dtype=object)[cats]
    n = len(heads)
    # Some positions were never approved (missing or 0); the rest approved at or below today's.
    never = rng.random(n)
    approved = heads - rng.binomial(heads, 0.08)
    approved_col = pd.array(np.where(never < 0.15, 0, approved), dtype="Int64")
    approved_col[(never >= 0.15) & (never < 0.3)] = pd.NA
    outsourceable = np.isin(category, ["logistics", "service_window"]) | (
        (category == "inspector") & (rng.random(n) < 0.4))
    return pd.DataFrame({
        "unit_id": ids[unit_idx].astype(str),
        "category": category.astype(str),
        "headcount": heads.astype(np.int64),
        "approved": approved_col,
        "outsourceable": np.where(outsourceable, "yes", "no"),
    })


def _category_probs(system: str) -> np.ndarray:
    mix = _AUX_MIX.get(system, _AUX_MIX_DEFAULT)
    p = np.array([mix.get(c, 0.0) for c in _AUX_CATEGORY_ORDER])
    return p / p.sum()


def _aux_calibrated(units: _Units, fig: SeedFigures,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """City-level off-quota staff meeting the seed exactly (seed 二(二)2).

    64 departments use off-quota staff, just under 4,000 people; each named system's share of
    the total is the published one (rounded to whole people), the other systems share the rest.
    An institution's staff count under its parent department.
    """
    city = units.level == "city"
    department = _department_of(units)
    organs = np.flatnonzero(city & (units.kind == "organ"))
    total = int(rng.integers(fig.aux_total_range[0], fig.aux_total_range[1] + 1))
    named = list(fig.aux_shares)
    named_depts = []
    for system in named:
        found = organs[units.system[organs] == system]
        if len(found) != 1:
            raise AssertionError(f"calibration needs one city department of system {system}")
        named_depts.append(int(found[0]))
    others = organs[~np.isin(units.system[organs], named)]
    n_other = fig.aux_departments - len(named)
    other_depts = np.sort(rng.choice(others, size=n_other, replace=False))
    named_heads = [round(total * fig.aux_shares[s] / 100) for s in named]
    other_total = total - sum(named_heads)
    weights = rng.lognormal(0.0, 0.8, size=n_other)
    other_heads = 2 + rng.multinomial(other_total - 2 * n_other, weights / weights.sum())
    dept_heads = list(zip(named_depts, named_heads, strict=True)) + list(
        zip(other_depts.tolist(), other_heads.tolist(), strict=True))
    out_unit, out_cat, out_head = [], [], []
    for dept, heads in dept_heads:
        members = np.flatnonzero(city & (department == dept))
        # bigger units hire more; keep the department and its four largest units
        size = units.approved[members].sum(axis=1).astype(float)
        top = members[np.argsort(-size, kind="stable")[:5]]
        if dept not in top:
            top = np.r_[dept, top[:4]]
        weight = units.approved[top].sum(axis=1).astype(float) ** 0.8
        per_unit = rng.multinomial(heads, weight / weight.sum())
        probs = _category_probs(units.system[dept])
        for unit, count in zip(top, per_unit, strict=True):
            if count == 0:
                continue
            per_cat = rng.multinomial(count, probs)
            cats = np.flatnonzero(per_cat)
            out_unit.append(np.full(len(cats), unit)), out_cat.append(cats)
            out_head.append(per_cat[cats])
    return (np.concatenate(out_unit), np.concatenate(out_cat), np.concatenate(out_head))


def _aux_uncalibrated(units: _Units, where: np.ndarray,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Off-quota staff elsewhere: most departments and some large institutions, one or two rows."""
    total = units.approved.sum(axis=1)
    p_use = np.select([units.kind == "organ", total >= 30], [0.6, 0.45], 0.08)
    users = np.flatnonzero(where & (rng.random(len(units)) < p_use))
    systems = units.system[users]
    heads = np.maximum(1, np.rint(rng.lognormal(np.log(2 + 0.06 * total[users]), 0.6))).astype(
        np.int64)
    primary = np.empty(len(users), dtype=np.int64)
    for system in dict.fromkeys(systems):
        mask = systems == system
        primary[mask] = rng.choice(len(_AUX_CATEGORY_ORDER), size=int(mask.sum()),
                                   p=_category_probs(system))
    logistics = _AUX_CATEGORY_ORDER.index("logistics")
    second = (rng.random(len(users)) < 0.3) & (primary != logistics) & (heads >= 2)
    second_heads = np.where(second, np.maximum(1, heads // 4), 0)
    unit_idx = np.r_[users, users[second]]
    cats = np.r_[primary, np.full(int(second.sum()), logistics)]
    counts = np.r_[heads - second_heads, second_heads[second]]
    return unit_idx, cats, counts


# --- surplus personnel and task groups ------------------------------------------------------

def _task_groups(prof: Profile, spec: CitySpec, index: int) -> list[TaskGroupSpec]:
    if index == 0:
        return list(prof.task_groups)
    return [TaskGroupSpec(f"{spec.code}-{g.group_id}", g.name, g.min_size, g.max_size, g.skills,
                          g.max_age) for g in prof.task_groups]


def _task_groups_table(groups: list[TaskGroupSpec], region: str) -> pd.DataFrame:
    """The city's groups; `region` says whose people they take (the city level's)."""
    return pd.DataFrame({
        "group_id": [g.group_id for g in groups],
        "name": [g.name for g in groups],
        "min_size": np.array([g.min_size for g in groups], dtype=np.int64),
        "max_size": np.array([g.max_size for g in groups], dtype=np.int64),
        "skills": [";".join(g.skills) for g in groups],
        "max_age": np.array([g.max_age for g in groups], dtype=np.int64),
        "region": [region] * len(groups),
    })


def _exact(rng: np.random.Generator, counts: Mapping[object, int]) -> np.ndarray:
    """A shuffled array holding each label exactly `counts[label]` times."""
    values = np.empty(sum(counts.values()), dtype=object)
    position = 0
    for label, count in counts.items():
        for _ in range(count):  # element-wise: labels may be tuples (age bands)
            values[position] = label
            position += 1
    return values[rng.permutation(len(values))]


def _scaled_counts(rng: np.random.Generator, counts: Mapping[object, int],
                   total: int) -> dict[object, int]:
    """`total` split over the labels in the proportions of `counts` (multinomial)."""
    labels = list(counts)
    p = np.array([counts[k] for k in labels], dtype=float)
    drawn = rng.multinomial(total, p / p.sum())
    return {k: int(c) for k, c in zip(labels, drawn, strict=True)}


def _pick(rng: np.random.Generator, candidates: np.ndarray, weights: np.ndarray,
          size: int) -> np.ndarray:
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    if len(candidates) == 0:
        raise AssertionError("no candidate units to place people or demands")
    w = np.asarray(weights, dtype=float)
    return rng.choice(candidates, size=size, p=w / w.sum())


def _people(units: _Units, ids: np.ndarray, staff: np.ndarray, spec: CitySpec, prof: Profile,
            groups: list[TaskGroupSpec], rng: np.random.Generator) -> pd.DataFrame:
    """Surplus personnel of the city level (seed 二(二)3); staff is raised to include them."""
    fig = prof.figures
    if spec.calibrated:
        n_cm, n_sec = sum(fig.city_managed_gender.values()), sum(fig.section_quota_types.values())
        cm = {"age": fig.city_managed_age_bands, "gender": fig.city_managed_gender,
              "health": fig.city_managed_health, "work": fig.city_managed_work_status}
        sec_types = dict(fig.section_quota_types)
        sec_managed = fig.section_managed_institution
        sec_reasons = dict(fig.section_reasons)
    else:
        factor = rng.uniform(0.7, 1.3)
        n_cm = int(round(sum(fig.city_managed_gender.values()) * factor))
        n_sec = int(round(sum(fig.section_quota_types.values()) * factor))
        cm = {"age": _scaled_counts(rng, fig.city_managed_age_bands, n_cm),
              "gender": _scaled_counts(rng, fig.city_managed_gender, n_cm),
              "health": _scaled_counts(rng, fig.city_managed_health, n_cm),
              "work": _scaled_counts(rng, fig.city_managed_work_status, n_cm)}
        sec_types = _scaled_counts(rng, fig.section_quota_types, n_sec)
        sec_managed = min(sec_types["institution"], int(rng.integers(0, 4)))
        sec_reasons = _scaled_counts(rng, fig.section_reasons, n_sec)

    city = units.level == "city"
    total = units.approved.sum(axis=1).astype(float)
    a_col = {t: units.approved[:, k] for k, t in enumerate(QUOTA_TYPE_ORDER)}

    # --- city-managed cadres: former leaders, mostly of departments
    bands = _exact(rng, cm["age"])
    age_cm = np.array([int(rng.integers(lo, hi + 1)) for lo, hi in bands], dtype=np.int64)
    # Women are placed mostly below 55 (the model's statutory age for women cadres).
    n_f = cm["gender"].get("F", 0)
    w_f = np.where(age_cm < 55, 1.0, 0.15)
    female = rng.choice(n_cm, size=n_f, replace=False, p=w_f / w_f.sum()) if n_f else []
    gender_cm = np.full(n_cm, "M", dtype=object)
    gender_cm[female] = "F"
    health_cm = _exact(rng, cm["health"])
    work_cm = _ordered_by(rng, cm["work"], ("idle", "assisting", "in_charge"),
                          np.where(health_cm == "healthy", 0.0, 2.0) + rng.random(n_cm))
    reason_cm = np.where(health_cm != "healthy", "health",
                         np.where((age_cm >= 55) & (rng.random(n_cm) < 0.6), "age", "reform"))
    cm_kind_w = np.select([units.kind == "organ", units.kind == "civil_service_managed"],
                          [3.0, 1.5], 1.0)
    # candidate (unit, quota type) rows: any city unit holding at least 8 of the type
    cand_unit = np.concatenate([np.flatnonzero(city & (a_col[t] >= 8)) for t in QUOTA_TYPE_ORDER])
    cand_type = np.concatenate([np.full(int((city & (a_col[t] >= 8)).sum()), t, dtype=object)
                                for t in QUOTA_TYPE_ORDER])
    type_w = np.select([cand_type == "administrative", cand_type == "political_legal"],
                       [1.0, 0.6], 0.5)
    w = np.sqrt(total[cand_unit]) * cm_kind_w[cand_unit] * type_w
    pick = _pick(rng, np.arange(len(cand_unit)), w, n_cm)
    unit_cm, type_cm = cand_unit[pick], cand_type[pick]
    service_cm = np.clip(age_cm - 20 + rng.integers(-3, 3, size=n_cm), 1, age_cm - 16)

    # --- section level or below
    types = _exact(rng, sec_types)
    reasons = _exact(rng, sec_reasons)
    unit_sec = np.empty(n_sec, dtype=np.int64)
    for t in QUOTA_TYPE_ORDER:
        slots = np.flatnonzero(types == t)
        if t == "institution":
            managed = slots[:sec_managed]
            cand = np.flatnonzero(city & (a_col[t] > 0) & (units.kind == "civil_service_managed"))
            unit_sec[managed] = _pick(rng, cand, np.sqrt(a_col[t][cand]), len(managed))
            slots = slots[sec_managed:]
            cand = np.flatnonzero(city & (a_col[t] >= 8) & (units.kind == "institution"))
        else:
            cand = np.flatnonzero(city & (a_col[t] >= 8))
        unit_sec[slots] = _pick(rng, cand, np.sqrt(a_col[t][cand]), len(slots))
    age_sec = rng.integers(26, 59, size=n_sec)
    gender_sec = np.where(rng.random(n_sec) < 0.62, "M", "F").astype(object)
    age_sec = np.where(gender_sec == "F", np.minimum(age_sec, 54), age_sec)
    sick = reasons == "sick_leave"
    health_sec = np.where(sick, np.where(rng.random(n_sec) < 0.3, "serious", "chronic"),
                          "healthy").astype(object)
    work_sec = np.where(reasons == "seconded",
                        np.where(rng.random(n_sec) < 0.35, "in_charge", "assisting"),
                        "idle").astype(object)
    service_sec = np.clip(age_sec - 22 - rng.integers(0, 4, size=n_sec), 1, None)

    n = n_cm + n_sec
    unit = np.r_[unit_cm, unit_sec]
    quota_type = np.r_[type_cm, types].astype(object)
    age = np.r_[age_cm, age_sec]
    gender = np.r_[gender_cm, gender_sec]
    health = np.r_[health_cm, health_sec]
    service = np.r_[service_cm, service_sec]
    # Staff includes the surplus people holding a quota of the unit.
    type_index = np.array([QUOTA_TYPE_ORDER.index(t) for t in quota_type], dtype=np.int64)
    held = np.zeros_like(staff)
    np.add.at(held, (unit, type_index), 1)
    np.maximum(staff, held, out=staff)

    skills = _skills(rng, units.system[unit])
    preferences = _preferences(rng, skills, groups)
    eligible = (service >= 30) | ((age >= 55) & (service >= 20))
    willing = np.where(eligible, rng.random(n) < 0.45, rng.random(n) < 0.08)
    wants_return = rng.random(n) < np.where(np.r_[work_cm, work_sec] == "in_charge", 0.25, 0.1)
    surnames = np.array(list(_SURNAMES), dtype=object)[rng.integers(0, len(_SURNAMES), size=n)]
    first = np.where(gender == "F", np.array(list(_GIVEN_F), dtype=object)[
        rng.integers(0, len(_GIVEN_F), size=n)], np.array(list(_GIVEN_M), dtype=object)[
        rng.integers(0, len(_GIVEN_M), size=n)])
    middle = np.where(rng.random(n) < 0.6, np.array(list(_GIVEN_ANY), dtype=object)[
        rng.integers(0, len(_GIVEN_ANY), size=n)], "")
    names = surnames + middle + first
    return pd.DataFrame({
        "person_id": [f"{spec.code}-p{k + 1:04d}" for k in range(n)],
        "name": names.astype(str),
        "unit_id": ids[unit].astype(str),
        "quota_type": quota_type.astype(str),
        "cadre_level": np.r_[np.full(n_cm, "city_managed"), np.full(n_sec, "section_or_below")],
        "gender": gender.astype(str),
        "age": age.astype(np.int64),
        "service_years": service.astype(np.int64),
        "health": health.astype(str),
        "work_status": np.r_[work_cm, work_sec].astype(str),
        "surplus_reason": np.r_[reason_cm, reasons].astype(str),
        "skills": skills,
        "preferences": preferences,
        "wants_return": np.where(wants_return, "yes", "no"),
        "willing_early_retirement": np.where(willing, "yes", "no"),
    })


def _ordered_by(rng: np.random.Generator, counts: Mapping[str, int], order: tuple[str, ...],
                priority: np.ndarray) -> np.ndarray:
    """Labels with exact counts, the first of `order` going to the highest `priority`."""
    ranked = np.argsort(-priority, kind="stable")
    out = np.empty(len(priority), dtype=object)
    start = 0
    for label in order:
        stop = start + counts.get(label, 0)
        out[ranked[start:stop]] = label
        start = stop
    return out


def _skills(rng: np.random.Generator, systems: np.ndarray) -> list[str]:
    """One skill from the home system and up to two more; `;`-separated."""
    n = len(systems)
    own = np.array([_SYSTEM_SKILL.get(s, "research") for s in systems], dtype=object)
    extra = rng.integers(0, 3, size=n)
    draws = rng.integers(0, len(SKILLS), size=(n, 2))
    out = []
    for k in range(n):
        tags = [own[k]] + [SKILLS[d] for d in draws[k, :extra[k]]]
        out.append(";".join(dict.fromkeys(tags)))
    return out


def _preferences(rng: np.random.Generator, skills: list[str],
                 groups: list[TaskGroupSpec]) -> list[str]:
    """Ordered group ids: groups wanting the person's skills first; some people state none."""
    n = len(skills)
    noise = rng.random((n, len(groups))) * 0.9
    wanted = np.array([[len(set(s.split(";")) & set(g.skills)) for g in groups] for s in skills],
                      dtype=float)
    order = np.argsort(-(wanted + noise), axis=1, kind="stable")
    count = rng.choice(4, size=n, p=[0.1, 0.35, 0.35, 0.2])
    return [";".join(groups[j].group_id for j in order[k, :count[k]]) for k in range(n)]


# --- the staff register (在编人员) ------------------------------------------------------------

# Shares (under 40, 50 or older) of a region's staff of a quota type, ages in the data's year.
# The city level's administrative staff follow the seed (SeedFigures.city_admin_*); elsewhere
# a little younger, institutions (schools, hospitals) youngest.
_REGISTER_SHARES: Mapping[str, tuple[float, float]] = MappingProxyType({
    "administrative": (0.30, 0.28), "political_legal": (0.30, 0.28),
    "institution": (0.34, 0.26), "worker": (0.28, 0.30),
})
_REGISTER_JITTER = 0.02  # ± on each share of a group not calibrated to the seed
_WOMEN_SHARE: Mapping[str, float] = MappingProxyType({"institution": 0.45, "worker": 0.45})
_WOMEN_SHARE_DEFAULT = 0.35  # administrative, political_legal
_INSTITUTION_WORKERS = 0.10  # institution staff in worker posts (工勤人员) rather than cadres
# Ages 20-39: graduates enter at 22-25, few earlier; fewer hired in recent years than ten or
# fifteen years ago (the seed's "too few young cadres"), so the thirties are the fuller.
_YOUNG_AGES = np.arange(20, 40)
_YOUNG_WEIGHTS = np.r_[0.1, 0.25, 0.5, 0.75, np.linspace(0.7, 1.6, 16)]
_START_AGES = (18, 25)  # 参加工作 between these ages (years and months)


def _staff_register(units: _Units, ids: np.ndarray, staff: np.ndarray, people: pd.DataFrame,
                    prof: Profile, spec: CitySpec, rng: np.random.Generator) -> pd.DataFrame:
    """The real-name register (在编人员): one row per person counted in the quotas' staff.

    The surplus people are listed under their own id, unit, quota type and gender, born
    `year − age` (their age in people.csv) and started `year − service_years`; everyone else
    is drawn. Within each region, level and quota type the shares under 40 and 50 or older are
    met exactly (rounded): the seed's at the calibrated city level's administrative staff,
    else `_REGISTER_SHARES` moved by up to ±2 points. Women and workers are more likely below
    50, in proportion to the years they may still serve. Nobody is under 20 or past the
    statutory retirement date (`solver.cadres.rules.retirements`) at the start of the year.
    Rows are sorted by unit, quota type and birth (oldest first); a drawn person's id is
    `<region>-s000001`, numbered in that order within the region.
    """
    year = prof.year
    types = np.array(QUOTA_TYPE_ORDER, dtype=object)
    row_unit, row_type = np.nonzero(units.approved > 0)  # the quotas table's rows
    if staff[units.approved == 0].any():
        raise AssertionError("staff without a quota row")
    # surplus people: already part of their row's staff
    s_unit = pd.Index(ids).get_indexer(people["unit_id"].to_numpy(dtype=object))
    s_type = pd.Index(QUOTA_TYPE_ORDER).get_indexer(people["quota_type"].to_numpy(dtype=object))
    held = np.zeros_like(staff)
    np.add.at(held, (s_unit, s_type), 1)
    fresh = staff[row_unit, row_type] - held[row_unit, row_type]
    if (s_unit < 0).any() or (s_type < 0).any() or (fresh < 0).any():
        raise AssertionError("surplus people outside their unit's staff")
    n, ns = int(fresh.sum()), len(people)
    unit = np.repeat(row_unit, fresh)
    qtype = np.repeat(row_type, fresh)

    women = np.array([_WOMEN_SHARE.get(t, _WOMEN_SHARE_DEFAULT) for t in QUOTA_TYPE_ORDER])
    female = rng.random(n) < women[qtype]
    worker_share = np.array([1.0 if t == "worker" else _INSTITUTION_WORKERS
                             if t == "institution" else 0.0 for t in QUOTA_TYPE_ORDER])
    worker = rng.random(n) < worker_share[qtype]
    # the original statutory age (60, 55, 50): the oldest anyone may be at the start of the year
    base = {key: schedule.base_years for key, schedule in SCHEDULES.items()}
    max_age = np.where(~female, base[("M", "cadre")],
                       np.where(worker, base[("F", "worker")], base[("F", "cadre")]))

    # groups: region, level and quota type
    s_age = people["age"].to_numpy(np.int64)
    unit_group = pd.factorize(units.region)[0] * 3 + pd.factorize(units.level)[0]
    all_unit, all_type = np.r_[unit, s_unit], np.r_[qtype, s_type]
    uniq, first, inverse = np.unique(unit_group[all_unit] * len(types) + all_type,
                                     return_index=True, return_inverse=True)
    n_groups = len(uniq)
    group, s_group = inverse[:n], inverse[n:]
    g_level = units.level[all_unit[first]]
    g_type = types[all_type[first]]
    under40 = np.array([_REGISTER_SHARES[t][0] for t in g_type])
    over50 = np.array([_REGISTER_SHARES[t][1] for t in g_type])
    seed_group = (g_level == "city") & (g_type == "administrative")
    under40[seed_group] = prof.figures.city_admin_under_40
    over50[seed_group] = prof.figures.city_admin_50_plus
    jitter = ~(seed_group & spec.calibrated)
    under40 += jitter * rng.uniform(-_REGISTER_JITTER, _REGISTER_JITTER, size=n_groups)
    over50 += jitter * rng.uniform(-_REGISTER_JITTER, _REGISTER_JITTER, size=n_groups)
    total = np.bincount(inverse, minlength=n_groups)
    g_fresh = np.bincount(group, minlength=n_groups)
    n_old = np.clip(np.rint(over50 * total).astype(np.int64)
                    - np.bincount(s_group[s_age >= 50], minlength=n_groups), 0, g_fresh)
    n_young = np.clip(np.rint(under40 * total).astype(np.int64)
                      - np.bincount(s_group[s_age < 40], minlength=n_groups), 0, g_fresh - n_old)

    # bands: a group's first n_old by a key favouring those with more years 50+ to serve
    # (weighted sampling without replacement: exponential / weight), then n_young of the
    # rest at random
    wait = rng.exponential(size=n) / (max_age - 49)
    old = _rank_in_group(group, wait / (1.0 + wait), n_groups) < n_old[group]
    young = ~old & (_rank_in_group(group, np.where(old, 0.999, 0.99 * rng.random(n)),
                                   n_groups) < n_young[group])
    age = np.select(
        [young, old],
        [rng.choice(_YOUNG_AGES, size=n, p=_YOUNG_WEIGHTS / _YOUNG_WEIGHTS.sum()),
         50 + np.floor(rng.random(n) * (max_age - 49)).astype(np.int64)],
        rng.integers(40, 50, size=n))
    birth = (year - age) * 12 + rng.integers(0, 12, size=n)  # months since year 0
    low = birth + _START_AGES[0] * 12
    high = np.minimum(birth + _START_AGES[1] * 12 + 11, year * 12)  # at the latest January
    started = low + np.floor(rng.random(n) * (high - low + 1)).astype(np.int64)

    # the surplus people, as people.csv has them
    s_birth = (year - s_age) * 12 + rng.integers(0, 12, size=ns)
    s_started = (year - people["service_years"].to_numpy(np.int64)) * 12 + rng.integers(
        0, 12, size=ns)
    # not before 18 (a start 18 calendar years after birth keeps its year)
    s_started = np.maximum(s_started, s_birth + _START_AGES[0] * 12)

    gender_names = np.array(["M", "F"], dtype=object)
    gender = np.r_[gender_names[female.astype(np.int64)],
                   people["gender"].to_numpy(dtype=object)]
    category = np.array(["cadre", "worker"], dtype=object)[
        np.r_[worker, np.zeros(ns, dtype=bool)].astype(np.int64)]
    births = np.r_[birth, s_birth]
    senior = np.flatnonzero(age >= min(base.values()))  # nobody younger can be past it
    _, retire_year, _ = retirements(gender[senior], category[senior], birth[senior] // 12,
                                    birth[senior] % 12 + 1)
    if (retire_year < year).any():
        raise AssertionError("a drawn person is past the statutory retirement age")

    order = np.lexsort((births, all_type, all_unit))
    unit_o = all_unit[order]
    surplus = order >= n
    return pd.DataFrame({
        "person_id": _register_ids(units.region, unit_o, surplus,
                                   people["person_id"].to_numpy(dtype=object)[order[surplus] - n]),
        "unit_id": ids[unit_o],
        "quota_type": types[all_type[order]],
        "gender": gender[order],
        "birth": _year_months(births[order]),
        "category": category[order],
        "started": _year_months(np.r_[started, s_started][order]),
    })


def _rank_in_group(group: np.ndarray, key: np.ndarray, n_groups: int) -> np.ndarray:
    """Each element's rank (0, 1, …) by `key` (in [0, 1)) among the elements of its group."""
    order = np.argsort(group + key)
    start = np.searchsorted(group[order], np.arange(n_groups))
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - start[group[order]]
    return rank


def _register_ids(region: np.ndarray, unit: np.ndarray, surplus: np.ndarray,
                  surplus_ids: np.ndarray) -> np.ndarray:
    """`<region>-s000001`, … for the rows not of surplus people (who keep their own id),
    numbered in row order within each region (contiguous: rows are in unit order)."""
    region_code, regions = pd.factorize(region[unit])
    count = np.cumsum(~surplus)
    starts = np.r_[0, np.flatnonzero(np.diff(region_code)) + 1]
    serial = count - np.repeat(np.r_[0, count][starts], np.diff(np.r_[starts, len(unit)]))
    if len(serial) and serial.max() > 999_999:
        raise ValueError("a region has more than 999,999 staff")
    numbers = np.strings.zfill(np.arange(int(serial.max(initial=0)) + 1).astype(str), 6)
    prefixes = np.strings.add(np.asarray(regions, dtype=str), "-s")
    out = np.strings.add(prefixes[region_code], numbers[serial]).astype(object)
    out[surplus] = surplus_ids
    return out


def _year_months(months: np.ndarray) -> np.ndarray:
    """Months since year 0 as `YYYY-MM` text (a lookup over the span, not one format per cell)."""
    if len(months) == 0:
        return np.array([], dtype=object)
    low = int(months.min())
    table = np.array([f"{m // 12:04d}-{m % 12 + 1:02d}"
                      for m in range(low, int(months.max()) + 1)], dtype=object)
    return table[months - low]


# --- demands, pool, tables ------------------------------------------------------------------

def _demands(units: _Units, ids: np.ndarray, attrs: dict[str, np.ndarray], spec: CitySpec,
             prof: Profile, rng: np.random.Generator) -> pd.DataFrame:
    """Requests for more quota in three tiers (seed 三(一): 236 at city level in two years)."""
    parts = []
    regions = list(dict.fromkeys(units.region))
    for region in regions:
        for level in ("city", "county", "township"):
            where = (units.region == region) & (units.level == level)
            n_units = int(where.sum())
            if n_units == 0:
                continue
            if level == "city":
                count = prof.figures.demands if spec.calibrated else int(round(
                    prof.figures.demands * n_units / 390 * rng.uniform(0.8, 1.2)))
            else:
                count = int(round(n_units * (0.35 if level == "county" else 0.1)))
            parts.append(_demands_of(units, attrs, np.flatnonzero(where), count, spec, prof, rng))
    unit = np.concatenate([p[0] for p in parts])
    tier = np.concatenate([p[1] for p in parts])
    qtype = np.concatenate([p[2] for p in parts])
    amount = np.concatenate([p[3] for p in parts])
    reason = np.concatenate([p[4] for p in parts])
    start = np.concatenate([p[5] for p in parts])
    end = np.concatenate([p[6] for p in parts])
    region = units.region[unit]
    serial = pd.Series(region).groupby(region).cumcount().to_numpy() + 1
    return pd.DataFrame({
        "demand_id": [f"{r}-d{s:04d}" for r, s in zip(region, serial, strict=True)],
        "unit_id": ids[unit].astype(str),
        "quota_type": qtype.astype(str),
        "tier": tier.astype(str),
        "amount": amount.astype(np.int64),
        "reason": reason.astype(str),
        "start_year": _optional_years(start),
        "end_year": _optional_years(end),
    })


def _optional_years(years: np.ndarray) -> pd.arrays.IntegerArray:
    """Years as a nullable column: 0 (no period) becomes missing."""
    out = pd.array(years, dtype="Int64")
    out[years == 0] = pd.NA
    return out


def _demands_of(units: _Units, attrs: dict[str, np.ndarray], where: np.ndarray, count: int,
                spec: CitySpec, prof: Profile, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """`count` demands of the units `where`, sorted by unit; lapsed units ask for nothing."""
    system = units.system[where]
    active = attrs["function_status"][where] != "lapsed"
    central = attrs["central_tasks"][where].astype(float)
    emergency_ok = np.isin(system, list(_EMERGENCY_TASKS)) | (units.level[where] == "township")
    tiers = rng.choice(3, size=count, p=[0.16, 0.1, 0.74])
    if not emergency_ok[active].any():
        tiers[tiers == 1] = 2
    weights = (
        active * (1.0 + central) ** 2 * np.where(np.isin(system, _KEY_SYSTEMS), 3.0, 1.0),
        active * emergency_ok * 1.0,
        active * (1.0 + 0.5 * central),
    )
    unit = np.empty(count, dtype=np.int64)
    for t in range(3):
        slots = np.flatnonzero(tiers == t)
        unit[slots] = _pick(rng, where, weights[t], len(slots))
    order = np.argsort(unit, kind="stable")
    unit, tiers = unit[order], tiers[order]
    # quota type: one the unit holds, chosen in proportion to its approved quota
    approved = units.approved[unit].astype(float)
    cum = np.cumsum(approved, axis=1)
    draw = rng.random(count) * cum[:, -1]
    qtype = np.array(QUOTA_TYPE_ORDER, dtype=object)[(draw[:, None] >= cum).sum(axis=1)]
    big = units.approved[unit].sum(axis=1) >= 150
    amount = np.select(
        [tiers == 0, tiers == 1],
        [1 + rng.binomial(5, 0.35, size=count), 1 + rng.binomial(6, 0.4, size=count)],
        np.minimum(rng.geometric(0.5, size=count), 5),
    ) * np.where(big & (rng.random(count) < 0.5), 2, 1)
    reasons = np.empty(count, dtype=object)
    start = np.zeros(count, dtype=np.int64)
    end = np.zeros(count, dtype=np.int64)
    focus = rng.integers(0, len(_KEY_FOCUS), size=count)
    key_reason = prof.key_reason if spec.calibrated else "服务保障市委市政府中心工作"
    ops = rng.integers(0, len(_OPERATIONAL_REASONS), size=count)
    start_draw = rng.integers(2021, 2023, size=count)
    length = rng.integers(1, 3, size=count)
    for k in range(count):
        if tiers[k] == 0:
            reasons[k] = f"{key_reason}:{_KEY_FOCUS[focus[k]]}"
        elif tiers[k] == 1:
            task = _EMERGENCY_TASKS.get(units.system[unit[k]], "森林防灭火与疫情防控")
            start[k] = start_draw[k]
            end[k] = min(start[k] + length[k], 2023)
            reasons[k] = f"{task}任务阶段性加重,事重加编、事去减编"
        else:
            reasons[k] = _OPERATIONAL_REASONS[ops[k]]
    tier_names = np.array(["key", "emergency", "operational"], dtype=object)[tiers]
    return unit, tier_names, qtype, amount, reasons, start, end


def _pool(units: _Units, spec: CitySpec, rng: np.random.Generator) -> pd.DataFrame:
    """The establishment office's pool: about 1% of each region's approved quota per type."""
    regions = list(dict.fromkeys(units.region))
    rows_region, rows_type, rows_balance = [], [], []
    for region in regions:
        totals = units.approved[units.region == region].sum(axis=0)
        for k, t in enumerate(QUOTA_TYPE_ORDER):
            if totals[k] == 0:
                continue
            rows_region.append(region)
            rows_type.append(t)
            rows_balance.append(int(round(totals[k] * rng.uniform(0.007, 0.013))))
    return pd.DataFrame({"region": rows_region, "quota_type": rows_type,
                         "balance": np.array(rows_balance, dtype=np.int64)})


def _units_table(units: _Units, ids: np.ndarray, attrs: dict[str, np.ndarray]) -> pd.DataFrame:
    parent = np.where(units.parent >= 0, ids[np.maximum(units.parent, 0)], None)
    return pd.DataFrame({
        "unit_id": ids.astype(str),
        "name": units.name.astype(str),
        "level": units.level.astype(str),
        "region": units.region.astype(str),
        "kind": units.kind.astype(str),
        "system": units.system.astype(str),
        "sector": np.array([SYSTEMS[s][0] for s in units.system], dtype=object).astype(str),
        "parent_id": pd.array(parent, dtype="str"),
        "function_status": attrs["function_status"].astype(str),
        "performance_score": attrs["performance_score"].astype(float),
        "central_tasks": attrs["central_tasks"].astype(np.int64),
        "leader_posts": attrs["leader_posts"].astype(np.int64),
    })


def _quotas_table(units: _Units, ids: np.ndarray, staff: np.ndarray) -> pd.DataFrame:
    unit, type_index = np.nonzero(units.approved > 0)
    return pd.DataFrame({
        "unit_id": ids[unit].astype(str),
        "quota_type": np.array(QUOTA_TYPE_ORDER, dtype=object)[type_index].astype(str),
        "approved": units.approved[unit, type_index].astype(np.int64),
        "staff": staff[unit, type_index].astype(np.int64),
    })
