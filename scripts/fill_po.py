"""Fill msgstr in a .po file from a JSON dictionary of translations.

    python scripts/fill_po.py TRANSLATIONS.json FILE.po [FILE.po ...]

Used when authoring translations: run `fangkong makemessages -l zh_Hans
--no-wrap` in an app, then this; entries without a translation stay empty
(and show in English).
"""

import json
import re
import sys


def unquote(text: str) -> str:
    return json.loads(text)


def fill(translations: dict[str, str], path: str) -> int:
    with open(path, encoding="utf-8") as stream:
        lines = stream.read().split("\n")
    out, missing, index = [], 0, 0
    msgid = msgid_plural = None
    while index < len(lines):
        line = lines[index]
        if line.startswith("msgid "):
            msgid, msgid_plural = unquote(line[6:]), None
        elif line.startswith("msgid_plural "):
            msgid_plural = unquote(line[13:])
        elif line.startswith("msgstr ") and msgid:
            found = translations.get(msgid)
            if found is None:
                missing += 1
            else:
                line = "msgstr " + json.dumps(found, ensure_ascii=False)
        elif re.match(r"msgstr\[0\] ", line) and msgid:
            found = translations.get(msgid_plural or msgid) or translations.get(msgid)
            if found is None:
                missing += 1
            else:
                line = "msgstr[0] " + json.dumps(found, ensure_ascii=False)
        elif line.startswith('"Plural-Forms:'):
            line = '"Plural-Forms: nplurals=1; plural=0;\\n"'
        elif line.startswith("#, fuzzy") and index < 20:
            line = ""
        out.append(line)
        index += 1
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("\n".join(out))
    return missing


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as source:
        table = json.load(source)
    for po in sys.argv[2:]:
        print(po, "untranslated:", fill(table, po))
