"""Map Kangxi radicals (U+2F00–2FDF) and CJK Radicals Supplement (U+2E80–2EFF) to ideographs.

PDF producers (Excel and Word exports especially) often emit radical code points that look like
ordinary kanji: ⽂ for 文, ⼾ for 戸. Japanese fonts draw the radical and the kanji with the same
glyph, so the ToUnicode map picks the radical and search and joins break. NFKC maps Kangxi
radicals to unified ideographs, but for a few it picks a form that is not in JIS X 0208 and so
not the one a Japanese document means (⼾ → 戶, ⾭ → 靑, ⿈ → 黃, ⿊ → 黑); and it leaves the
supplement alone (⻑ stays ⻑). Hence the explicit table.
"""

from __future__ import annotations

import unicodedata

# Kangxi radicals whose NFKC target is not the JIS X 0208 form used in Japanese text. The other
# NFKC targets outside JIS X 0208 (丨 彐 疒 禸 辵) are radical-only shapes with no common form.
KANGXI_JA: dict[str, str] = {
    "\u2f3e": "戸",  # ⼾ KANGXI RADICAL DOOR: NFKC gives 戶 (U+6236)
    "\u2fad": "青",  # ⾭ KANGXI RADICAL BLUE: NFKC gives 靑 (U+9751)
    "\u2fc8": "黄",  # ⿈ KANGXI RADICAL YELLOW: NFKC gives 黃 (U+9EC3)
    "\u2fca": "黒",  # ⿊ KANGXI RADICAL BLACK: NFKC gives 黑 (U+9ED1)
}

# CJK Radicals Supplement: NFKC leaves these alone. Targets are the ideographs a Japanese reader
# expects for the radical's shape (Unicode's EquivalentUnifiedIdeograph data, Japanese forms
# where a J-SIMPLIFIED radical exists).
_SUPPLEMENT_JA = {
    "\u2e81": "厂",
    "\u2e82": "乛",
    "\u2e83": "乚",
    "\u2e84": "乙",
    "\u2e85": "亻",
    "\u2e86": "冂",
    "\u2e87": "几",
    "\u2e88": "刀",
    "\u2e89": "刂",
    "\u2e8a": "卜",
    "\u2e8b": "㔾",
    "\u2e8c": "小",
    "\u2e8d": "小",
    "\u2e8e": "兀",
    "\u2e8f": "尣",
    "\u2e90": "尢",
    "\u2e91": "尢",
    "\u2e92": "巳",
    "\u2e93": "幺",
    "\u2e94": "彑",
    "\u2e95": "彐",
    "\u2e96": "忄",
    "\u2e97": "㣺",
    "\u2e98": "扌",
    "\u2e99": "攵",
    "\u2e9b": "旡",
    "\u2e9c": "日",
    "\u2e9d": "月",
    "\u2e9e": "歹",
    "\u2e9f": "母",
    "\u2ea0": "民",
    "\u2ea1": "氵",
    "\u2ea2": "氺",
    "\u2ea3": "灬",
    "\u2ea4": "爫",
    "\u2ea5": "爫",
    "\u2ea6": "丬",
    "\u2ea7": "牛",
    "\u2ea8": "犭",
    "\u2ea9": "王",
    "\u2eaa": "疋",
    "\u2eab": "罒",
    "\u2eac": "示",
    "\u2ead": "礻",
    "\u2eae": "竹",
    "\u2eaf": "糸",
    "\u2eb0": "纟",
    "\u2eb1": "网",
    "\u2eb2": "罒",
    "\u2eb3": "罓",
    "\u2eb4": "网",
    "\u2eb5": "罒",
    "\u2eb6": "羊",
    "\u2eb7": "羊",
    "\u2eb8": "羊",
    "\u2eb9": "耂",
    "\u2eba": "肀",
    "\u2ebb": "聿",
    "\u2ebc": "月",
    "\u2ebd": "臼",
    "\u2ebe": "艹",
    "\u2ebf": "艹",
    "\u2ec0": "艹",
    "\u2ec1": "虎",
    "\u2ec2": "衤",
    "\u2ec3": "覀",
    "\u2ec4": "西",
    "\u2ec5": "见",
    "\u2ec6": "角",
    "\u2ec7": "角",
    "\u2ec8": "讠",
    "\u2ec9": "贝",
    "\u2eca": "足",
    "\u2ecb": "车",
    "\u2ecc": "辶",
    "\u2ecd": "辶",
    "\u2ece": "辶",
    "\u2ecf": "阝",
    "\u2ed0": "钅",
    "\u2ed1": "長",
    "\u2ed2": "镸",
    "\u2ed3": "长",
    "\u2ed4": "门",
    "\u2ed5": "阜",
    "\u2ed6": "阝",
    "\u2ed7": "雨",
    "\u2ed8": "青",
    "\u2ed9": "韦",
    "\u2eda": "页",
    "\u2edb": "风",
    "\u2edc": "飞",
    "\u2edd": "食",
    "\u2ede": "𩠐",
    "\u2edf": "飠",
    "\u2ee0": "饣",
    "\u2ee1": "首",
    "\u2ee2": "马",
    "\u2ee3": "骨",
    "\u2ee4": "鬼",
    "\u2ee5": "鱼",
    "\u2ee6": "鸟",
    "\u2ee7": "卤",
    "\u2ee8": "麦",
    "\u2ee9": "黄",
    "\u2eea": "黾",
    "\u2eeb": "斉",
    "\u2eec": "齐",
    "\u2eed": "歯",
    "\u2eee": "齿",
    "\u2eef": "竜",
    "\u2ef0": "龙",
    "\u2ef1": "龜",
    "\u2ef2": "亀",
    "\u2ef3": "龟",
}


def _build() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x2F00, 0x2FD6):  # every assigned Kangxi radical
        char = chr(cp)
        table[cp] = KANGXI_JA.get(char, unicodedata.normalize("NFKC", char))
    for char, target in _SUPPLEMENT_JA.items():
        table[ord(char)] = target
    return table


RADICAL_TO_IDEOGRAPH: dict[int, str] = _build()
