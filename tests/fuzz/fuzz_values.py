"""Values no inventory should hold, for the fuzzers to put into one: wrong types, huge
numbers and strings, every kind of Unicode (CJK, RTL, zero-width, surrogates, NUL, control
characters), keys YAML reads as numbers, booleans or null, YAML tags and alias bombs."""

from __future__ import annotations

from hypothesis import strategies as st

NASTY_TEXT = (
    *("", " ", "大连市第二十四中学", "مدرسة", "\u202eevil\u202c", "a\u200bb", "\ufeffx"),
    *("a\u2028b", "\x1b]0;title\x07", "${PROVISION_X}", "${", "~", "null", "yes", "0x1F"),
    *("1e400", ".nan", "08:30", "10.0.0.256", "10.0.0.1\n", "core\n", "Gi0/0/1;reload"),
    *("a|b", "show ?", "\t", "\ud800", "'", '"', "&a", "*a", "<<", "- x", "{a: 1}", "#"),
    *("..", "../../etc/passwd", "%s%n", "{{ 7 * 7 }}", "\\", "x" * 300),
)
HUGE = (
    "x" * 1_000_000,
    "大" * 100_000,
    [0] * 100_000,
    ["ab"] * 100_000,
    {f"k{i}": i for i in range(20_000)},
    10**350,
    -(10**4000),
    2**64,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    5e-324,
)

texts = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.text(st.sampled_from("ab大-_.:/ ;|?\n\t\x00\u2028\u202e"), max_size=12),
    st.sampled_from(NASTY_TEXT),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-300, 2e-308, 1e15, 4094, 4095, 65536, 100001]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    texts,
    st.binary(max_size=16),
    st.dates(),
    st.frozensets(st.integers(0, 9), max_size=3).map(set),
)
keys = st.one_of(texts, st.integers(-3, 3), st.booleans(), st.none(), st.floats(0, 2))
small_values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=4),
    max_leaves=8,
)
# One value in fifty is huge: enough for every run to meet them, few enough to stay fast.
values = st.integers(0, 49).flatmap(lambda n: st.sampled_from(HUGE) if n == 0 else small_values)


def alias_bomb(width: int, depth: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, depth):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


TAGGED = (
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!<tag:yaml.org,2002:python/object/new:str> x",
    "!!binary aGVsbG8=",
    "!!binary '@@@'",
    "!custom 3",
    "!!set {a, b}",
    "!!omap [{a: 1}, {b: 2}]",
    "!!pairs [{a: 1}]",
    "!!int abc",
    "!!int ''",
    "!!float x",
    "!!bool maybe",
    "!!timestamp nope",
    "!!str 3",
    "!!null x",
    "!!map [1, 2]",
    "*undefined",
    "&anchor 3",
    "{<<: 5}",
    "{<<: [1, 2]}",
    "{<<: {fps: 10}, fps: 25}",
    "&c [*c]",
    "? [a, b]\n: 1",
)
