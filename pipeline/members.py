"""Members: a normalised Document in, member rows out.

A list is a member list when its section heading or one of its group labels names members
(成员/成員/会员/會員/成员国/观察员/締約國 …, see MEMBER_WORDS); which names are listed never matters.
Groups come from definition terms (`; 正式成员国`) or from a bullet that has deeper bullets under
it; items without a group take the section's name. An item is split into members on 、，,；;
(and a final 和/及/与 between the last two names). Items that read as prose (a sentence mark
or longer than MAX_NAME characters per name) are not members; they stay in `paragraphs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .model import Document, ListBlock, ListItem

MEMBER_WORDS = re.compile(
    r"成员|成員|会员|會員|加盟国|加盟國|缔约|締約|观察员|觀察員|候选|候選|"
    r"参与国|參與國|伙伴|夥伴|member|observer|partner",
    re.I,
)
_SPLIT = re.compile(r"\s*[、，,；;]\s*")
_LAST_AND = re.compile(r"^(.{1,30}?)(?:和|及|与|與|以及)(.{1,30})$")
_SENTENCE = re.compile(r"[。！？!?]")
MAX_NAME = 30


def split_names(text: str) -> list[str]:
    names = [n.strip(" ：:。") for n in _SPLIT.split(text) if n.strip(" ：:。")]
    if names and len(names) > 1:
        m = _LAST_AND.match(names[-1])
        if m:
            names[-1:] = [m.group(1), m.group(2)]
    return names


def _is_member_list(block: ListBlock) -> bool:
    if any(MEMBER_WORDS.search(s) for s in block.section):
        return True
    return any(it.marker == ";" and MEMBER_WORDS.search(it.text_original) for it in block.items)


def _labels(items: tuple[ListItem, ...]) -> list[bool]:
    """Which items are group labels: terms, and bullets with deeper bullets right after."""
    out = []
    for i, it in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        out.append(it.marker == ";" or (nxt is not None and nxt.depth > it.depth and nxt.marker != ";"))
    return out


def member_rows(doc: Document, section_text: Callable[[str], str]) -> list[dict]:
    """Rows of members.parquet; `section_text` maps a heading to the target variant."""
    rows: list[dict] = []
    for block in doc.blocks:
        if not isinstance(block, ListBlock) or not _is_member_list(block):
            continue
        fallback = block.section[-1] if block.section else ""
        group = group_original = None
        positions: dict[str, int] = {}
        for item, is_label in zip(block.items, _labels(block.items)):
            if is_label:
                group, group_original = item.text, item.text_original
                continue
            if _SENTENCE.search(item.text_original):
                continue
            names = split_names(item.text or "")
            originals = split_names(item.text_original)
            if len(names) != len(originals) or any(len(n) > MAX_NAME for n in originals):
                continue
            label = group if group is not None else section_text(fallback)
            label_original = group_original if group_original is not None else fallback
            targets = {link.anchor_original: link.target for link in item.links}
            for name, original in zip(names, originals):
                positions[label] = positions.get(label, 0) + 1
                rows.append({
                    "doc_id": doc.doc_id,
                    "organization": doc.title,
                    "section": " > ".join(map(section_text, block.section)),
                    "group": label,
                    "group_original": label_original,
                    "position": positions[label],
                    "member": name,
                    "member_original": original,
                    "link_target": targets.get(original),
                })
    return rows
