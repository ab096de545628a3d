"""Names of towns and villages as a page shows them.

Real exports carry the places' own names (the cleaning step keeps the 乡镇 and 村 columns as
``town_id`` and ``village_id``), and a page shows those. The synthetic panel has ids such as
``shangluo-t003``; a page shows plausible Chinese names made from them instead, the same
name for the same id on every run (a hash of the id picks two characters), distinct within a
county, and clearly not any real place's list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

FIRST: dict[str, str] = dict(zip(
    "青石柳杨金龙马黄白红新东西南北高双三五安和兴永丰平太福长宝云凤桃梨桑松竹花明光文武德仁义清源泉溪川塘湖峰岩林",
    ["qing", "shi", "liu", "yang", "jin", "long", "ma", "huang", "bai", "hong", "xin", "dong", "xi", "nan", "bei", "gao", "shuang", "san", "wu", "an", "he", "xing", "yong", "feng", "ping", "tai", "fu", "chang", "bao", "yun", "feng", "tao", "li", "sang", "song", "zhu", "hua", "ming", "guang", "wen", "wu", "de", "ren", "yi", "qing", "yuan", "quan", "xi", "chuan", "tang", "hu", "feng", "yan", "lin"], strict=True))
"""First characters of the generated names (common in rural place names) and their pinyin."""

SECOND: dict[str, str] = dict(zip(
    "坪沟川岭湾坝山庄峪塬寨集铺营桥关河坡台岗洼滩园堡店口畈埠岔垭",
    ["ping", "gou", "chuan", "ling", "wan", "ba", "shan", "zhuang", "yu", "yuan", "zhai", "ji", "pu", "ying", "qiao", "guan", "he", "po", "tai", "gang", "wa", "tan", "yuan", "bao", "dian", "kou", "fan", "bu", "cha", "ya"], strict=True))
"""Second characters: the landform or settlement words such names end with."""

SUFFIX = {"town": ("镇", "Town"), "village": ("村", "Village")}


def synthetic_names(ids: Iterable[object], kind: str = "town",
                    language: str = "zh") -> dict[str, str]:
    """Id -> a generated name (``kind``: ``town`` ends in 镇, ``village`` in 村; in English the
    same name in pinyin, "Qingping Town").

    Each id's SHA-256 picks a start among the ``len(FIRST) * len(SECOND)`` pairs; ids are
    taken in sorted order and a pair already given goes to the next free one, so the names
    are distinct and depend only on the set of ids."""
    if kind not in SUFFIX:
        raise ValueError(f"kind must be one of {sorted(SUFFIX)}, not {kind!r}")
    unique = sorted({str(i) for i in ids})
    size = len(FIRST) * len(SECOND)
    if len(unique) > size:
        raise ValueError(f"{len(unique)} {kind}s: more than the {size} names available")
    firsts, seconds = list(FIRST), list(SECOND)
    used: set[int] = set()
    out: dict[str, str] = {}
    for key in unique:
        slot = int.from_bytes(hashlib.sha256(f"{kind}:{key}".encode()).digest()[:8], "big") % size
        while slot in used:
            slot = (slot + 1) % size
        used.add(slot)
        first, second = firsts[slot // len(seconds)], seconds[slot % len(seconds)]
        zh, en = SUFFIX[kind]
        out[key] = (f"{first}{second}{zh}" if language == "zh" else
                    f"{FIRST[first].capitalize()}{SECOND[second]} {en}")
    return out


def place_names(ids: Iterable[object], synthetic: bool, kind: str = "town",
                language: str = "zh") -> dict[str, str]:
    """Id -> the name a page shows: generated names for synthetic data, the export's own
    names (the ids themselves) for real data."""
    if synthetic:
        return synthetic_names(ids, kind, language)
    return {str(i): str(i) for i in ids}
