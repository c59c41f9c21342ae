#!/usr/bin/env python3
"""Selects the demo knowledge base (知识库) from official replies: reproduces
crates/app/data/knowledge_seed.csv from /work/shared/data/govmsg/messages_with_replies.csv.

Source: the public data of the 2020 Teddy Cup data-mining challenge, problem C (see
/work/shared/data/README.md and crates/app/data/README.md). Python 3, standard library only:

    python3 scripts/knowledge_seed.py [INPUT.csv] > crates/app/data/knowledge_seed.csv

What it keeps: messages whose title asks something (咨询, 如何, 怎么办, 需要什么…) and whose reply
explains a policy, a procedure or where to go (办理, 申请, 材料, 条件, 电话…) rather than reporting on
a complaint (经查, 责令, 整改…). The reply is cleaned of the greeting and the closing formula and kept
word for word otherwise; the title loses its 咨询/关于…的咨询 wrapping. Each article gets the demo
catalogue code of its subject (rules below, first match wins), the demo unit that owns that subject,
and up to six keywords from a fixed list. At most PER_CATEGORY articles per code, TOTAL in all,
oldest message first.
"""

import csv
import re
import sys

SOURCE = "/work/shared/data/govmsg/messages_with_replies.csv"
TOTAL = 48
PER_CATEGORY = 6

ASKS = re.compile(r"咨询|请问|如何|怎么|怎样|能否|是否|可否|可不可以|需要什么|需要哪些|哪里|流程|手续|条件|材料")
NOT_ASKING = re.compile(
    r"投诉|举报|为什么|为何|质疑|强烈|严重|违规|违法|乱收费|拖欠|不作为|扰民|希望|建议|反映|规划|选址|进度|开发|项目|事务|异议|落实|开建|开工|安置"
)
EXPLAINS = re.compile(r"办理|申请|材料|携带|窗口|电话|拨打|条件")
HANDLED = re.compile(r"经查|经调查|经核实|责令|整改|督促|执法|查处|约谈|立案|处罚|已转")
# Replies that name an official or give a number the source did not mask are left out: the
# knowledge base answers with offices and hotlines, not with people.
PERSONAL = re.compile(r"联系人|主任[\u4e00-\u9fa5]{2,3}|(?<!\d)(?=\d*[1-9])\d{7,}(?!\d)")

# (pattern in title + reply, catalogue code, owning demo unit code); the demo catalogue numbers
# its categories in the order of taxonomy.csv (see crates/app/src/catalogue.rs).
RULES = [
    (r"公积金", "01.10", "HK-ZJJ"),
    (r"医保|医疗保险|报销", "15.01", "HK-YBJ"),
    (r"退休|养老金", "15.09", "HK-RSJ"),
    (r"社保|养老保险|失业保险|工伤|参保", "15.02", "HK-RSJ"),
    (r"落户|户口|户籍|居住证|身份证|护照|通行证", "13.04", "HK-GAJ"),
    (r"入学|小学|初中|学位|招生|学籍|幼儿园|转学", "14.05", "HK-JYJ"),
    (r"职称|职务评审|人才|就业|创业|补贴|培训|档案", "15.04", "HK-RSJ"),
    (r"购房|买房|房产证|不动产|过户|房屋|住房", "01.10", "HK-ZJJ"),
    (r"收费站", "06.03", "HK-JTJ"),
    (r"客运|客车", "06.04", "HK-JTJ"),
    (r"驾驶证|驾照|车辆|违章|年检", "13.05", "HK-JJZD"),
    (r"营业执照|工商|个体户|餐饮|食品经营|会计证", "11.04", "HK-SJJ"),
    (r"医院|疫苗|医生|看病", "12.06", "HK-WJW"),
    (r"低保|救助|残疾|困难", "09.09", "HK-MZJ"),
    (r"婚姻|结婚|离婚|殡葬|养老院", "09.08", "HK-MZJ"),
    (r"公交|出租车|地铁|客运", "06.03", "HK-JTJ"),
]

KEYWORDS = [
    "公积金", "商转公", "贷款", "提取", "医保", "异地报销", "社保", "养老保险", "转移接续", "退休", "落户", "户口迁移",
    "居住证", "身份证", "护照", "港澳通行证", "入学", "随迁子女", "小学", "初中", "学位", "职称", "人才引进", "就业",
    "创业", "补贴", "档案", "购房资格", "房产证", "过户", "限购", "驾驶证", "营业执照", "会计证", "低保", "救助",
    "婚姻登记", "公交", "出租车", "材料", "流程", "窗口",
]

# The formula before the answer ends at its first "…如下：" (回复如下, 答复如下, 作如下回复).
HEAD = re.compile(r"(回复|答复)如下[：:]|作如下(回复|答复)[：:]?")
GREETING = re.compile(r"^\s*((尊敬的)?(网友|来信人)?[“\"]?[A-Z0-9]*[”\"]?[：:，,]?\s*(您好|你好)[！!，,。]?|来信收悉[。，,]?|(您|你)的留言已收悉[。，,]?)\s*")
THANKS = re.compile(r"(感谢您|谢谢您|谢谢！|祝您)")
TAIL = [
    re.compile(r"\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}|[〇一二三四五六七八九十]{4}年[〇一二三四五六七八九十]{1,2}月[〇一二三四五六七八九十]{1,3}日)\s*$"),
    re.compile(r"\s*[\u4e00-\u9fa5A-Z0-9]{2,30}(中心|办事处|局|委员会)\s*$"),
]


def clean_reply(text):
    t = re.sub(r"\s+", " ", text).strip()
    m = HEAD.search(t[:160])
    if m:
        t = t[m.end():]
    for _ in range(3):
        t = GREETING.sub("", t)
    # The closing thanks and whatever follows it (a date, a signature), if it is at the very end.
    for _ in range(2):
        ms = list(THANKS.finditer(t))
        if ms and ms[-1].start() > len(t) - 80:
            t = t[: ms[-1].start()].rstrip("，, ")
    for _ in range(2):
        for p in TAIL:
            t = p.sub("", t)
    return t.strip()


def clean_title(title):
    t = title.strip()
    t = re.sub(r"^(关于|咨询|请问|一下)+", "", t)
    t = re.sub(r"(的)?(相关|有关)?(问题)?(的)?(咨询|请教)$", "", t)
    t = re.sub(r"^(咨询|关于|一下)+", "", t)
    t = re.sub(r"的(事宜|问题)$", r"\1", t)
    t = t.strip("，,。？?！! ")
    if not re.search(r"(问题|政策|事宜|条件|材料|流程|手续|办理|\?|？)$", t):
        t += "问题"
    return t


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    with open(path, encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["msg_id"]))
    out, per, seen = [], {}, set()
    for r in rows:
        title, reply = r["title"], r["reply"]
        if not ASKS.search(title) or NOT_ASKING.search(title) or HANDLED.search(reply) or not EXPLAINS.search(reply):
            continue
        body = clean_reply(reply)
        if not 60 <= len(body) <= 1500 or "网友" in body or PERSONAL.search(body) or body.endswith(("：", ":")):
            continue
        hay = title + " " + body
        # The title says what the question is about (the body mentions too much to tell).
        rule = next((x for x in RULES if re.search(x[0], title)), None)
        if rule is None:
            continue
        _, code, unit = rule
        clean = clean_title(title)
        if clean in seen or per.get(code, 0) >= PER_CATEGORY:
            continue
        keywords = [k for k in KEYWORDS if k in hay][:6]
        seen.add(clean)
        per[code] = per.get(code, 0) + 1
        out.append((f"govmsg:{r['msg_id']}", clean, code, unit, "|".join(keywords), body))
        if len(out) == TOTAL:
            break
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["source", "title", "category", "unit_code", "keywords", "body"])
    w.writerows(out)


if __name__ == "__main__":
    main()
