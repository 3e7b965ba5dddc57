"""The switch CLIs without SSH: modes, prompts, the config tree, undo/no, errors, saving.

Each test types lines into a `CliSession` exactly as an SSH user would (one line at a time,
indentation included) and checks what the device prints and what its running-config became.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from test_switch_support import (
    CONFIG_ENTER,
    CONFIG_LEAVE,
    ERROR_TEXT,
    SAMPLES,
    config_lines,
    missing_sample_lines,
)

from provision.lab.cli import DIALECTS, CliSession, SwitchConfig, new_config
from provision.lab.faults import Faults
from provision.lab.switch import Switch

PLATFORMS = list(SAMPLES)


def login(platform: str, secret: str | None = None) -> tuple[SwitchConfig, CliSession]:
    cfg = new_config(platform, serial="TEST1")
    return cfg, CliSession(cfg, enable_secret=secret)


def typed(session: CliSession, *lines: str) -> list[str]:
    """Type lines; return what the device printed for each."""
    return [session.execute(line).text for line in lines]


def configured(platform: str) -> tuple[SwitchConfig, CliSession]:
    cfg, s = login(platform)
    outputs = typed(s, CONFIG_ENTER[platform], *SAMPLES[platform].splitlines())
    assert all(out == "" for out in outputs[1:]), [o for o in outputs if o]
    return cfg, s


@pytest.mark.parametrize("platform", PLATFORMS)
def test_sample_config_is_accepted_and_shown(platform: str) -> None:
    cfg, _ = configured(platform)
    assert missing_sample_lines(platform, cfg.running_text()) == []
    assert cfg.hostname == "dl-zs-m012-core"
    assert cfg.unsaved and "dl-zs-m012-core" not in cfg.saved_text()


@pytest.mark.parametrize(
    ("platform", "lines", "prompts"),
    [
        (
            "huawei",
            ["system-view", "interface g0/0/1", "acl number 3000", "traffic policy p1",
             "quit", "quit", "quit"],
            ["<HUAWEI>", "[HUAWEI]", "[HUAWEI-GigabitEthernet0/0/1]", "[HUAWEI-acl-adv-3000]",
             "[HUAWEI-trafficpolicy-p1]", "[HUAWEI]", "<HUAWEI>", None],
        ),
        (
            "hp_comware",
            ["system-view", "interface vlan-interface 10", "acl advanced 3000",
             "acl number 2000", "qos policy q", "return"],
            ["<H3C>", "[H3C]", "[H3C-Vlan-interface10]", "[H3C-acl-ipv4-adv-3000]",
             "[H3C-acl-ipv4-basic-2000]", "[H3C-qospolicy-q]", "<H3C>"],
        ),
        (
            "cisco_ios",
            ["conf t", "vlan 10", "ip access-list extended A", "class-map match-any C",
             "policy-map P", "class C", "exit", "end", "exit"],
            ["Switch#", "Switch(config)#", "Switch(config-vlan)#", "Switch(config-ext-nacl)#",
             "Switch(config-cmap)#", "Switch(config-pmap)#", "Switch(config-pmap-c)#",
             "Switch(config-pmap)#", "Switch#", None],
        ),
    ],
)  # fmt: skip
def test_modes_and_prompts(platform: str, lines: list[str], prompts: list[str | None]) -> None:
    _, s = login(platform)
    seen: list[str | None] = [s.prompt()]
    for line in lines:
        reply = s.execute(line)
        assert "rror" not in reply.text and "Invalid" not in reply.text, (line, reply.text)
        seen.append(None if reply.close else s.prompt())
    assert seen == prompts


@pytest.mark.parametrize("platform", PLATFORMS)
def test_prompt_follows_hostname(platform: str) -> None:
    _, s = login(platform)
    negate = DIALECTS[platform].undo_word
    head = "hostname" if negate == "no" else "sysname"
    svi = {"huawei": "Vlanif1", "cisco_ios": "Vlan1", "hp_comware": "Vlan-interface1",
           "ruijie_os": "VLAN 1"}[platform]  # fmt: skip
    typed(s, CONFIG_ENTER[platform], f"{head} gate-sw", f"interface {svi}")
    assert s.prompt().startswith(("gate-sw(config-if)#", "[gate-sw-Vlan"))
    typed(s, f"{negate} {head}")
    assert s.cfg.hostname == DIALECTS[platform].default_hostname


@pytest.mark.parametrize("platform", PLATFORMS)
def test_unknown_command_errors_and_changes_nothing(platform: str) -> None:
    cfg, s = configured(platform)
    before = cfg.running_text()
    prompt = s.prompt()
    out = s.execute("frobnicate all ports").text
    assert ERROR_TEXT[platform] in out
    caret = next(line for line in out.splitlines() if line.strip() == "^")
    assert caret.index("^") == len(prompt)  # under the first letter of the bad word
    out = s.execute("interface GigabitEthernet0/0/1 bogus").text  # bad argument, same result
    assert ERROR_TEXT[platform] in out
    assert cfg.running_text() == before


UNDO_CASES = {
    # platform: (lines typed after the sample, lines that must disappear, lines that must appear)
    "huawei": (
        ["interface GigabitEthernet0/0/1", " undo description", "undo vlan batch 10 20",
         "undo acl number 3001", "interface Vlanif10", " undo ip address"],
        ["vlan batch 10 20 30", "vlan 10", " description management",
         " description uplink-to-precinct-nanshajie", "acl number 3001",
         " rule 5 permit ip source 10.12.20.0 0.0.0.255", " ip address 10.12.10.1 255.255.255.0",
         "#", "#"],
        ["vlan batch 30"],
    ),
    "cisco_ios": (
        ["no ip access-list extended PRECINCT-IN", "interface GigabitEthernet0/1",
         " no description", " switchport trunk allowed vlan remove 20",
         " no service-policy output VIDEO-OUT", "policy-map VIDEO-OUT", " class VIDEO",
         "  no set dscp af41"],
        ["ip access-list extended PRECINCT-IN",
         " permit tcp 10.200.1.0 0.0.0.255 10.12.20.0 0.0.0.255 eq 554",
         " deny ip any 10.12.20.0 0.0.0.255", " permit ip any any", "!",
         " description uplink-to-precinct-nanshajie", " switchport trunk allowed vlan 10,20,30",
         " service-policy output VIDEO-OUT", "  set dscp af41"],
        [" switchport trunk allowed vlan 10,30"],
    ),
    "hp_comware": (
        ["interface GigabitEthernet1/0/1", " undo port trunk permit vlan 20",
         " undo qos apply policy outbound", "undo acl advanced 3000", "vlan 10", " undo name"],
        [" port trunk permit vlan 10 20 30", " qos apply policy video-out outbound",
         "acl advanced 3000", " rule 100 deny ip destination 10.12.20.0 0.0.0.255",
         " rule 5 permit tcp source 10.200.1.0 0.0.0.255 destination 10.12.20.0 0.0.0.255 "
         "destination-port eq 554", "#", " name management"],
        [" port trunk permit vlan 10 30"],
    ),
    "ruijie_os": (
        ["no ip access-list extended PRECINCT-IN", "interface GigabitEthernet0/1",
         " no description", " switchport trunk allowed vlan remove 20",
         " no service-policy output VIDEO-OUT", "policy-map VIDEO-OUT", " class VIDEO",
         "  no set ip dscp 34"],
        ["ip access-list extended PRECINCT-IN",
         " permit tcp 10.200.1.0 0.0.0.255 10.12.20.0 0.0.0.255 eq 554",
         " deny ip any 10.12.20.0 0.0.0.255", " permit ip any any", "!",
         " description uplink-to-precinct-nanshajie",
         " switchport trunk allowed vlan only 10,20,30",
         " service-policy output VIDEO-OUT", "  set ip dscp 34"],
        [" switchport trunk allowed vlan only 10,30"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("platform", PLATFORMS)
def test_undo_and_no_remove_exactly_their_target(platform: str) -> None:
    def shown() -> Counter[str]:
        return Counter(x for x in config_lines(cfg.running_text()) if "bytes" not in x)

    cfg, s = configured(platform)
    before = shown()
    lines, gone, added = UNDO_CASES[platform]
    outputs = typed(s, *lines)
    assert all(out == "" for out in outputs), outputs
    after = shown()
    assert before - after == Counter(gone)
    assert after - before == Counter(added)


def test_huawei_vlan_batch_and_sections_stay_consistent() -> None:
    cfg, s = login("huawei")
    typed(s, "system-view", "vlan batch 10 to 12 20", "vlan 40", "vlan 11", " description cams")
    shown = config_lines(cfg.running_text())
    assert "vlan batch 10 to 12 20 40" in shown
    assert "vlan 40" not in shown  # an empty vlan section is folded into vlan batch
    assert shown[shown.index("vlan 11") :][:2] == ["vlan 11", " description cams"]
    typed(s, "undo vlan 12", "undo vlan batch 11 40")
    shown = config_lines(cfg.running_text())
    assert "vlan batch 10 20" in shown and "vlan 11" not in shown
    assert cfg.saved_text() != cfg.running_text()
    assert cfg.summary()["vlans"] == [10, 20]


@pytest.mark.parametrize(
    ("platform", "lines", "expect"),
    [
        ("huawei", ["interface g0/0/3", " description a", " desc b", " port link-type access",
                    " port link-type trunk", " ip address 10.0.0.1 24", " ip add 10.0.0.2 24"],
         ["interface GigabitEthernet0/0/3", " description b", " port link-type trunk",
          " ip address 10.0.0.2 24"]),
        ("cisco_ios", ["int gi0/3", " description a", " description b", " switchport mode access",
                       " switchport mode trunk", "ip access-list extended X", " permit ip any any",
                       "int gi0/3", " shutdown", "ip access-list extended X", " deny ip any any"],
         ["interface GigabitEthernet0/3", " description b", " switchport mode trunk",
          " shutdown", "!", "ip access-list extended X", " permit ip any any",
          " deny ip any any"]),
    ],
)  # fmt: skip
def test_single_values_replace_and_sections_accumulate(
    platform: str, lines: list[str], expect: list[str]
) -> None:
    cfg, s = login(platform)
    assert all(out == "" for out in typed(s, CONFIG_ENTER[platform], *lines)[1:])
    shown = config_lines(cfg.running_text())
    start = shown.index(expect[0])
    if platform == "cisco_ios":
        acl = shown.index("ip access-list extended X")
        shown = shown[start : start + 5] + shown[acl : acl + 3]
    else:
        shown = shown[start : start + len(expect)]
    assert shown == expect


@pytest.mark.parametrize("platform", PLATFORMS)
def test_save_copies_running_to_saved(platform: str) -> None:
    cfg, s = configured(platform)
    typed(s, CONFIG_LEAVE[platform])
    if platform == "huawei":
        assert "Are you sure to continue?[Y/N]:" in s.execute("save").text
        assert "successfully" in s.execute("y").text
    elif platform == "hp_comware":
        assert "successfully" in s.execute("save force").text
    else:
        word = "write" if platform == "ruijie_os" else "write memory"  # what netmiko sends
        assert s.execute(word).text == "Building configuration...\n[OK]\n"
    assert not cfg.unsaved and cfg.saves == 1
    assert missing_sample_lines(platform, cfg.saved_text()) == []
    saved = s.execute("display saved-configuration" if DIALECTS[platform].undo_word == "undo"
                      else "show startup-config").text  # fmt: skip
    assert missing_sample_lines(platform, saved) == []


def test_cisco_enable_secret_and_do() -> None:
    _, s = login("cisco_ios", secret="s3cret")
    assert s.prompt() == "Switch>"
    assert "Invalid input" in s.execute("configure terminal").text
    assert s.execute("enable").text == "Password: " and s.question_secret
    assert "Bad secrets" in s.execute("wrong").text and s.prompt() == "Switch>"
    s.execute("enable")
    s.execute("s3cret")
    assert s.prompt() == "Switch#"
    s.execute("conf t")
    out = s.execute("do show running-config | include hostname").text
    assert out == "hostname Switch\n"
    assert "Invalid input" in s.execute("do frobnicate").text


def test_pipes_abbreviations_and_errors() -> None:
    _, s = login("huawei")
    assert s.execute("dis cur | include sysname").text == "sysname HUAWEI\n"
    assert "Incomplete" in s.execute("display").text
    assert "S5720" in s.execute("dis ver").text
    _, c = login("cisco_ios")
    assert c.execute("sh").text == "% Incomplete command.\n\n"
    assert c.execute("e").text == '% Ambiguous command:  "e"\n'  # exit / enable


def test_switch_object_contract() -> None:
    with pytest.raises(ValueError, match="cisco_ios, hp_comware, huawei, ruijie_os"):
        Switch("x", "127.0.0.1", faults=Faults(), platform="juniper")
    sw = Switch("gate-1", "127.0.0.1", faults=Faults(), platform="hp_comware", ssh_port=0)
    state = json.loads(json.dumps(sw.state()))
    assert state["hostname"] == "H3C" and state["platform"] == "hp_comware"
    assert state["unsaved_changes"] is False and state["serial"].startswith("219801")
    assert sw.endpoints() == {"ssh": 0}
    assert sw.running_config() == sw.saved_config()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_undo_of_every_sample_line_returns_to_factory(platform: str) -> None:
    """Type the undo/no form of each sample line, innermost first, last section first: every
    form must be accepted and together they must leave exactly the factory config (physical
    ports that existed at the factory are emptied, not deleted, as on the real boxes)."""
    cfg, s = configured(platform)
    factory = new_config(platform, serial="TEST1")
    negate = DIALECTS[platform].undo_word
    tree: list[tuple[str, list]] = []  # (line, children) from the sample's indentation
    stack: list[tuple[int, list]] = [(-1, tree)]
    for raw in SAMPLES[platform].splitlines():
        depth = len(raw) - len(raw.lstrip())
        while stack[-1][0] >= depth:
            stack.pop()
        entry: tuple[str, list] = (raw.strip(), [])
        stack[-1][1].append(entry)
        stack.append((depth, entry[1]))

    def unwind(entries: list[tuple[str, list]], top: bool) -> None:
        for line, children in reversed(entries):
            if children:
                assert s.execute(line).text == ""
                unwind(children, top=False)
            if not (children and top and f"\n{line}\n" in factory.running_text()):
                assert s.execute(f"{negate} {line}").text == "", line

    unwind(tree, top=True)
    assert cfg.running_text() == factory.running_text()
