"""Realistic Chinese names, posts, units and allegations, drawn from a seeded random source: the
same seed gives the same people (pure; no I/O)."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海波宁晨辉鹏飞斌宇浩凯峰林雪琳婷颖"
# the county's units whose liaison offices integrity.toml names, then others (default liaison)
UNITS = (
    "县教育局", "县卫生健康局", "县交通运输局", "县自然资源局", "县住房和城乡建设局",
    "县市场监督管理局", "县水利局", "县农业农村局", "城关镇人民政府", "县国有资产投资公司",
)  # fmt: skip
POSTS = ("局长", "副局长", "党组书记", "科长", "副科长", "镇长", "党委副书记", "总经理", "主任")
ALLEGATIONS = (
    "利用职务便利，在工程项目招投标中为他人谋取利益，收受财物",
    "违规收受管理服务对象礼金、购物卡",
    "违规插手干预工程建设项目，为亲属承揽工程提供便利",
    "套取、挪用专项扶贫资金",
    "违规发放津贴补贴，公款吃喝",
    "在土地出让中滥用职权，造成国有资产流失",
    "利用审批权向管理服务对象借款且未归还",
    "在医疗设备采购中收受回扣",
)
TOUR_CATEGORIES = ("营商环境", "基层党建", "选人用人", "专项资金管理", "作风建设", "意识形态工作")
TOUR_PROBLEMS = (
    "审批事项办理超时限", "“三重一大”事项未集体决策", "专项资金拨付滞后", "公务接待超标准",
    "干部选拔程序不规范", "整改台账未按期销号", "政府采购化整为零规避招标", "党组织生活会流于形式",
)  # fmt: skip


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def pick(rng: random.Random, pool: tuple[str, ...]) -> str:
    return rng.choice(pool)
