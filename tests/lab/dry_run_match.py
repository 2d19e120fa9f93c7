#!/usr/bin/env python3
"""dry_run_match.py PLAN_JSON TRACE: every state-changing command of a `ferry ... -v` trace must
match a command line of the plan (`ferry plan --json`, its steps' "commands").

A plan line is "[host] WORDS  # note". A trace line is "+ [host] WORDS" (a quoted script may
span several lines). WORDS are compared as shell words: a plan word <...> stands for any number
of words (or for any text within one word); snapshot names and move ids match whatever their
numbers. Prints the number of commands checked, or (exit 1) those the plan did not show."""
import json
import re
import shlex
import sys

# What changes a host: the verbs of the commands ferry runs (read-only queries, and `zfs send -n`
# estimates, aside), matched in the command's words (a script's text included).
STATE_CHANGING = re.compile(
    r"\b(zfs (snapshot|send(?! -n)|recv|receive|destroy|rollback|set|hold|release|rename|inherit)"
    r"|btrfs (send|receive|subvolume (snapshot|delete))"
    r"|(lxc|incus) (start|stop|pause|delete|snapshot|exec|config (set|unset)|storage volume delete)"
    r"|query (--wait )?-X (PUT|POST|PATCH|DELETE)|-X (PUT|POST|PATCH|DELETE)"
    r"|nft (-f|delete|add|flush)|sysctl (-q )?-w|kill|rmdir)\b")
# The dead-man's script holds every verb; what it does is its action's.
DEAD_MAN = re.compile(r"\bferry-dead-man (arm|request-start|disarm)\b")
MOVE_ID = re.compile(r"(ferry-)?[0-9]{12}-[0-9a-f]{4}|ferry-<(id)?>")
SNAPSHOT_NUMBER = re.compile(r"ferry-ID-[0-9]+")


def normalized(word):
    return SNAPSHOT_NUMBER.sub("ferry-ID-N", MOVE_ID.sub("ferry-ID", word))


def words(text, depth=0):
    """Shell words; a word that is itself a command line (ssh's remote command) as its words."""
    out = []
    for w in shlex.split(text):
        if depth < 3 and re.search(r"\s", w) and not re.fullmatch(r"<[^>]*>", w):
            try:
                out += words(w, depth + 1)
                continue
            except ValueError:
                pass
        out.append(normalized(w))
    return out


def template(text):
    """A regex over words joined by \x1f: a word <...> (alone or inside a word) is a wildcard."""
    parts = []
    for w in words(re.sub(r"<[^<>]*>", "<>", text)):  # a placeholder's words are no words
        if re.fullmatch(r"<[^>]*>", w):
            parts.append(None)
        else:
            parts.append(".*?".join(re.escape(p) for p in re.split(r"<[^>]*>", w)))
    out = ""
    for i, p in enumerate(parts):
        if p is None:
            out += r"(?:\x1f.*?)?" if i else r"(?:.*?\x1f)?"
        else:
            out += ("\x1f" if i else "") + p
    return re.compile(out, re.S)


def plan_commands(plan):
    for step in plan.get("steps", []):
        for line in step.get("commands", []):
            m = re.match(r"\[([^\]]+)\] (.*?)(?:  # .*)?$", line, re.S)
            try:
                if m:
                    yield m.group(1), line, template(m.group(2))
            except ValueError:  # prose, not a command
                pass


def trace_commands(text):
    pending = None
    for line in text.splitlines():
        if pending is None:
            if not line.startswith("+ ["):
                continue
            pending = line
        else:
            pending += "\n" + line
        try:
            shlex.split(pending.split("] ", 1)[1])
        except ValueError:  # an open quote: the command goes on on the next line
            continue
        m = re.match(r"\+ \[([^\]]+)\] (.*)$", pending, re.S)
        pending = None
        if m:
            yield m.group(1), m.group(2)


def main():
    plan = json.load(open(sys.argv[1]))
    if len(sys.argv) > 3:  # a directory that keeps what was compared (FERRY_TEST_ARTIFACTS)
        import shutil
        for f in sys.argv[1:3]:
            shutil.copy(f, sys.argv[3])
    shown = list(plan_commands(plan))
    missing, checked = [], 0
    for host, command in trace_commands(open(sys.argv[2]).read()):
        joined = "\x1f".join(words(command))
        first_line = command.split("\n")[0]
        spaced = joined.replace("\x1f", " ")
        if "ferry-dead-man" in spaced:
            if not DEAD_MAN.search(spaced):
                continue
        elif not STATE_CHANGING.search(spaced):
            continue
        checked += 1
        if not any(h == host and t.fullmatch(joined) for h, _, t in shown):
            missing.append(f"[{host}] {first_line[:300]}")
    if missing or checked == 0:
        print("\n".join(missing) or "no state-changing command in the trace")
        sys.exit(1)
    print(checked)


if __name__ == "__main__":
    main()
