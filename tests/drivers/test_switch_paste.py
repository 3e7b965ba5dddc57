"""A block of configuration lines and its output, split back into each line's answer, on
literal texts as the switches print them (the lab round trip is tests/drivers/
test_switch_driver.py's refused-mid-block story)."""

from __future__ import annotations

import re

from provision.drivers.switch_config import parse_config
from provision.drivers.switch_paste import answers, base_prompt, blocks, mode_changes, refusal
from provision.drivers.switch_platforms import platform_named

HUAWEI = platform_named("huawei").dialect
CISCO = platform_named("cisco_ios").dialect
CONFIG_VRP = re.compile(HUAWEI.config_prompt)
EXEC_IOS = re.compile(CISCO.exec_prompt)

VRP_LINES = ["interface Vlanif20", "frobnicate 7", "ip address 10.34.17.1 255.255.255.0", "quit",
             "interface Vlanif30"]  # fmt: skip
VRP_OUTPUT = (
    "<core>\n<core>\n"  # stale prompts of netmiko's probes, before the first echo
    "[core]interface Vlanif20\n"
    "[core-Vlanif20]frobnicate 7\n"
    "                ^\n"
    "Error: Unrecognized command found at '^' position.\n"
    "[core-Vlanif20]ip address 10.34.17.1 255.255.255.0\n"
    "[core-Vlanif20]quit\n"
    "[core]interface Vlanif30\n"
    "[core-Vlanif30]"
)


def test_each_line_gets_what_the_switch_printed_between_its_echo_and_the_next_prompt() -> None:
    replies = answers(VRP_OUTPUT, VRP_LINES, CONFIG_VRP)
    assert replies is not None
    assert replies[0] == "\n" and replies[2:] == ["\n"] * 3
    assert "Error: Unrecognized command" in replies[1]


def test_a_block_is_complete_only_at_the_last_echo_and_then_the_expected_prompt() -> None:
    cut = VRP_OUTPUT.index("[core]interface Vlanif30")
    for end in (cut, cut + 10, len(VRP_OUTPUT) - 3):
        assert answers(VRP_OUTPUT[:end], VRP_LINES, CONFIG_VRP) is None
    # The exec prompt is not the end of a block that stays in configuration mode.
    assert answers(VRP_OUTPUT[: -len("[core-Vlanif30]")] + "<core>", VRP_LINES, CONFIG_VRP) is None


def test_a_refusal_names_the_line_its_error_and_the_lines_that_ran_after_it() -> None:
    replies = answers(VRP_OUTPUT, VRP_LINES, CONFIG_VRP)
    assert replies is not None
    refused = refusal(VRP_LINES, replies)
    assert refused is not None
    assert refused.line == "frobnicate 7"
    assert refused.error == "Error: Unrecognized command found at '^' position."
    assert refused.ran_after == tuple(VRP_LINES[2:]) and refused.also_refused == ()
    assert refusal(VRP_LINES[:1], replies[:1]) is None


def test_words_of_a_line_inside_an_answer_are_not_its_echo() -> None:
    lines = ["configure terminal", "end"]
    output = (
        "Switch#configure terminal\n"
        "Enter configuration commands, one per line.  end with CNTL/Z.\n"
        "Switch(config)#end\n"
        "Switch#"
    )
    replies = answers(output, lines, EXEC_IOS)
    assert replies == ["\nEnter configuration commands, one per line.  end with CNTL/Z.\n", "\n"]
    assert answers(output[: output.index("Switch(config)#end")], lines, EXEC_IOS) is None


def test_an_echo_wrapped_by_a_cli_without_terminal_width_is_still_found() -> None:
    line = "rule 5 permit tcp source 10.200.1.0 0.0.0.255 destination 10.34.17.0 0.0.0.255"
    output = f"[core-acl-adv-3000]{line[:60]}\n{line[60:]}\n[core-acl-adv-3000]"
    assert answers(output, [line], CONFIG_VRP) == ["\n"]


def test_blocks_end_after_each_line_that_changes_the_mode() -> None:
    lines = ["system-view", "sysname core", "vlan 10", "description video", "quit",
             "ntp-service unicast-server 10.0.0.1", "return"]  # fmt: skip

    assert blocks(lines, mode_changes(lines, HUAWEI, None)) == [
        ["system-view"],
        ["sysname core", "vlan 10"],
        ["description video", "quit", "ntp-service unicast-server 10.0.0.1", "return"],
    ]


def test_a_section_the_running_config_lists_is_typed_ahead_and_a_new_one_waits() -> None:
    present = parse_config(
        "interface GigabitEthernet0/0/1\n port link-type access\n#\nvlan 10\n#\n", HUAWEI
    )
    lines = ["system-view", "interface GigabitEthernet0/0/1", "description uplink", "quit",
             "vlan 10", "description video", "quit", "vlan 20", "description alarm", "quit",
             "interface GigabitEthernet0/0/2", "description spare", "quit", "return"]  # fmt: skip
    assert blocks(lines, mode_changes(lines, HUAWEI, present)) == [
        ["system-view"],
        # Port 1 and VLAN 10 are there: entering them cannot be refused.
        ["interface GigabitEthernet0/0/1", "description uplink", "quit",
         "vlan 10", "description video", "quit", "vlan 20"],
        # VLAN 20 is new, and so is port 2 to this config: each waits for its answer.
        ["description alarm", "quit", "interface GigabitEthernet0/0/2"],
        ["description spare", "quit", "return"],
    ]  # fmt: skip
    # Only at the same place: a VLAN 10 inside port 1 is not the top-level VLAN 10.
    nested = ["system-view", "interface GigabitEthernet0/0/1", "vlan 10", "quit", "return"]
    assert mode_changes(nested, HUAWEI, present) == [True, False, True, False, False]


def test_the_base_prompt_is_the_name_inside_the_prompt_marks() -> None:
    assert base_prompt("<dl-zs-h024-core>") == "dl-zs-h024-core"
    assert base_prompt("[core]") == "core"
    assert base_prompt("dl-xg-m016-core# ") == "dl-xg-m016-core"
